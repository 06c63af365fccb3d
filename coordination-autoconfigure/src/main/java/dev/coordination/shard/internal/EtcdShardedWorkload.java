package dev.coordination.shard.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.CoordinationThreads;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.FailureDescription;
import dev.coordination.etcd.internal.PrefixMirror;
import dev.coordination.etcd.internal.RepeatedFailureLog;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.session.SessionLossReason;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.InstanceIdentity;
import dev.coordination.session.internal.LeaseListener;
import dev.coordination.shard.ShardListener;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardsAssignedEvent;
import dev.coordination.shard.ShardsRevokedEvent;
import dev.coordination.shard.ShardsRevokedEvent.Reason;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * {@link ShardedWorkload} on the coordination session. Under {@code <prefix>/<workload>/} each
 * instance taking part writes {@code members/<leaseHex>} on its session lease (its instance id,
 * weight and configured shard count), and the owner of shard {@code s} holds
 * {@code owners/<s>} on its session lease; the key's create revision is the fencing token.
 * <p>
 * One {@link PrefixMirror} keeps a revision-consistent view of both. From each view, every instance
 * computes the same target assignment ({@link ShardAssignment}) from the settled membership (the
 * members once they stopped changing for the settle delay) and the current owners, and acts only on
 * its own shards: it gives up the ones assigned elsewhere (listeners told, {@code @ShardedBy} runs
 * ended, then the key deleted if still created at its token) and takes the ones assigned to it that
 * have no owner (create-if-absent). Ownership therefore only ever passes through "no key": no two
 * instances hold a shard's key at once, and an instance stops owning at its session's local
 * deadline, before etcd can expire the key.
 * <p>
 * The view and the actions run on one thread per workload, where listeners are told too; a session
 * loss revokes synchronously on the session's thread.
 */
public class EtcdShardedWorkload implements ShardedWorkload, LeaseListener {

	private static final Log logger = LogFactory.getLog(EtcdShardedWorkload.class);

	private static final String MEMBERS = "members/";

	private static final String OWNERS = "owners/";

	private final String name;

	private final int count;

	private final int weight;

	private final Duration settleDelay;

	private final String prefix;

	private final EtcdTemplate etcd;

	private final EtcdSession session;

	private final Supplier<InstanceIdentity> identity;

	private final ShardMetrics metrics;

	private final List<ShardListener> listeners = new CopyOnWriteArrayList<>();

	private final Iterable<ShardListener> allListeners;

	private final ScheduledExecutorService executor;

	private final PrefixMirror view;

	private final RetryPolicy.Backoff backoff;

	private final RepeatedFailureLog failures = new RepeatedFailureLog(logger);

	// readable from any thread; changed on the workload's thread, and on the session's at a loss
	private final Map<Integer, Ownership> owned = new ConcurrentHashMap<>();

	private volatile Map<Integer, String> ownersView = Map.of();

	private volatile List<MemberInfo> membersView = List.of();

	private volatile List<ShardAssignment.Member> settled = List.of();

	private volatile @Nullable String standingAside;

	private volatile boolean running;

	// Confined to the workload's thread.

	private @Nullable Registration registration;

	private @Nullable List<ShardAssignment.Member> pending;

	private long pendingSince;

	private boolean everSettled;

	private @Nullable ScheduledFuture<?> settleTimer;

	private @Nullable ScheduledFuture<?> retryTimer;

	private final Map<Integer, Long> unownedSince = new HashMap<>();

	private long viewRevision;

	private final Map<String, KeyValue> kvs = new HashMap<>();

	/**
	 * Create a workload; it takes part once {@link #start() started} and the session is valid.
	 * @param name the workload name
	 * @param count the number of shards
	 * @param weight this instance's weight, 0 to take part without owning shards
	 * @param settleDelay how long the membership must stay unchanged before shards move
	 * @param prefix the normalised key prefix of all workloads, for example {@code /shards}
	 * @param etcd the etcd access
	 * @param session the session ownership lives on
	 * @param identity this instance's identity
	 * @param sharedListeners listeners of every workload, told after this workload's own
	 * @param retry how to wait between failed actions
	 * @param progress whether and how often its watch asks etcd how far it is
	 * @param metrics where to report
	 */
	public EtcdShardedWorkload(String name, int count, int weight, Duration settleDelay, String prefix,
			EtcdTemplate etcd, EtcdSession session, Supplier<InstanceIdentity> identity,
			List<ShardListener> sharedListeners, RetryPolicy retry, WatchProgress progress, ShardMetrics metrics) {
		Assert.isTrue(count > 0, "count must be positive");
		Assert.isTrue(weight >= 0, "weight must not be negative");
		this.name = name;
		this.count = count;
		this.weight = weight;
		this.settleDelay = settleDelay;
		this.prefix = EtcdKeys.key(prefix, EtcdKeys.segment("workload name", name)) + "/";
		this.etcd = etcd;
		this.session = session;
		this.identity = identity;
		this.metrics = metrics;
		this.backoff = retry.backoff();
		this.allListeners = () -> Stream.concat(this.listeners.stream(), sharedListeners.stream()).iterator();
		this.executor = Executors.newSingleThreadScheduledExecutor(CoordinationThreads.daemon("coordination-shards-" + name));
		this.view = new PrefixMirror(etcd, "shards-" + name, List.of(this.prefix), (key) -> true, Duration.ZERO, retry,
				progress, (kvs, changed, revision, receivedAt) -> {
					Map<String, KeyValue> copy = new HashMap<>(kvs);
					submit(() -> onView(copy, revision));
				});
	}

	@Override
	public String name() {
		return this.name;
	}

	@Override
	public int shardCount() {
		return this.count;
	}

	/**
	 * This instance's weight in the workload.
	 * @return the weight
	 */
	public int weight() {
		return this.weight;
	}

	/**
	 * Key prefix of this workload, ending with {@code /}.
	 * @return the prefix
	 */
	public String keyPrefix() {
		return this.prefix;
	}

	/**
	 * How long the membership must stay unchanged before shards move.
	 * @return the settle delay
	 */
	public Duration settleDelay() {
		return this.settleDelay;
	}

	@Override
	public SortedSet<Integer> ownedShards() {
		TreeSet<Integer> shards = new TreeSet<>();
		this.owned.forEach((shard, ownership) -> {
			if (ownership.isValid()) {
				shards.add(shard);
			}
		});
		return Collections.unmodifiableSortedSet(shards);
	}

	@Override
	public boolean isOwner(int shard) {
		checkShard(shard);
		Ownership ownership = this.owned.get(shard);
		return ownership != null && ownership.isValid();
	}

	@Override
	public OptionalLong fencingToken(int shard) {
		checkShard(shard);
		Ownership ownership = this.owned.get(shard);
		return (ownership != null && ownership.isValid()) ? OptionalLong.of(ownership.token) : OptionalLong.empty();
	}

	@Override
	public Optional<String> owner(int shard) {
		checkShard(shard);
		return Optional.ofNullable(this.ownersView.get(shard));
	}

	@Override
	public WriteResult fencedWrite(int shard, FencedWrite write) {
		checkShard(shard);
		Ownership ownership = this.owned.get(shard);
		if (ownership == null || !ownership.isValid()) {
			throw new IllegalStateException("Instance " + this.identity.get().instanceId() + " does not own shard " + shard
					+ " of workload '" + this.name + "' now: no fenced write");
		}
		return this.etcd.fencedWrite(ownership.key, ownership.token, write);
	}

	@Override
	public void addListener(ShardListener listener) {
		this.listeners.add(listener);
	}

	@Override
	public void removeListener(ShardListener listener) {
		this.listeners.remove(listener);
	}

	/**
	 * Hold {@code shard} for one run of work: while held, a rebalance that moves the shard waits
	 * before deleting its key; a session loss interrupts the holding thread. Close it when the work
	 * is done.
	 * @param shard a shard number
	 * @return the hold, or {@code null} when this instance does not own the shard now
	 */
	public @Nullable Hold hold(int shard) {
		checkShard(shard);
		Ownership ownership = this.owned.get(shard);
		if (ownership == null) {
			return null;
		}
		return ownership.hold();
	}

	/**
	 * The owner of each owned shard, as this instance's view shows it.
	 * @return instance ids by shard
	 */
	public Map<Integer, String> owners() {
		return new TreeMap<>(this.ownersView);
	}

	/**
	 * The members taking part, as this instance's view shows them.
	 * @return the members, oldest first
	 */
	public List<MemberInfo> members() {
		return this.membersView;
	}

	/**
	 * The membership the current assignment is computed from.
	 * @return the settled members
	 */
	public List<ShardAssignment.Member> settledMembers() {
		return this.settled;
	}

	/**
	 * Why this instance owns no shards although it takes part, for example a shard count that
	 * differs from the one in force.
	 * @return the reason, empty when it takes part normally
	 */
	public Optional<String> standingAside() {
		return Optional.ofNullable(this.standingAside);
	}

	/**
	 * Start watching the workload and taking part whenever the session is valid.
	 */
	public synchronized void start() {
		if (this.running) {
			return;
		}
		this.running = true;
		this.view.start(0, List.of());
		this.session.addLeaseListener(this);
	}

	/**
	 * Leave the workload: give up every shard (reason {@link Reason#SHUTDOWN}), after listeners and
	 * runs end, delete their keys and the member key so the others take over at once, stop
	 * watching. Bounded by twice the request timeout, plus the time runs take to end.
	 */
	public synchronized void stop() {
		if (!this.running) {
			return;
		}
		this.running = false;
		this.session.removeLeaseListener(this);
		await(submit(() -> {
			release(new ArrayList<>(this.owned.values()), Reason.SHUTDOWN);
			Registration current = this.registration;
			this.registration = null;
			if (current != null && this.session.isValid(current.leaseId())) {
				try {
					this.etcd.deleteIfCreatedAt(current.key(), current.createRevision());
				}
				catch (EtcdAccessException ex) {
					logger.warn("Could not delete member key " + current.key() + " of workload '" + this.name + "': "
							+ FailureDescription.describe(ex, this.etcd) + "; it goes with the session lease");
				}
			}
		}));
		this.view.stop();
		this.executor.shutdownNow();
	}

	/**
	 * Whether the workload takes part now.
	 * @return {@code true} between start and stop
	 */
	public boolean isRunning() {
		return this.running;
	}

	// Session events, on the session's thread.

	@Override
	public void leaseGranted(long leaseId, boolean renewal) {
		submit(() -> {
			if (this.running) {
				register(leaseId);
			}
		});
	}

	@Override
	public void leaseLost(long leaseId, SessionLossReason reason) {
		// synchronously: nobody may act on these shards any more
		List<Ownership> lost = new ArrayList<>();
		this.owned.values().removeIf((ownership) -> {
			if (ownership.leaseId == leaseId) {
				ownership.revoke(true);
				lost.add(ownership);
				return true;
			}
			return false;
		});
		if (!lost.isEmpty()) {
			logger.warn("Instance " + this.identity.get().instanceId() + " lost " + lost.size() + " shard(s) of workload '"
					+ this.name + "' with its session (" + reason + ")");
			submit(() -> tellRevoked(lost, Reason.SESSION_LOST));
		}
	}

	@Override
	public void leaseClosing(long leaseId) {
		if (this.running) {
			stop();
		}
	}

	// On the workload's thread.

	private void register(long leaseId) {
		Registration current = this.registration;
		if (current != null && current.leaseId() == leaseId) {
			return;
		}
		if (!this.session.isValid(leaseId)) {
			return;
		}
		String key = this.prefix + MEMBERS + EtcdKeys.leaseHex(leaseId);
		String value = MemberInfo.encode(this.identity.get().instanceId(), this.weight, this.count);
		try {
			long revision = this.etcd.put(key, value, leaseId).getHeader().getRevision();
			this.registration = new Registration(leaseId, key, revision);
			if (this.failures.reset()) {
				logger.info("Taking part in sharded workload '" + this.name + "' again");
			}
			evaluate();
		}
		catch (EtcdAccessException ex) {
			this.failures.failed("Could not join sharded workload '" + this.name + "': "
					+ FailureDescription.describe(ex, this.etcd) + "; retrying while the session lasts", ex);
			retryLater(() -> register(leaseId));
		}
	}

	private void onView(Map<String, KeyValue> kvs, long revision) {
		this.kvs.clear();
		this.kvs.putAll(kvs);
		this.viewRevision = revision;
		List<MemberInfo> members = new ArrayList<>();
		Map<Integer, String> owners = new TreeMap<>();
		for (KeyValue kv : kvs.values()) {
			String key = EtcdKeys.string(kv.getKey());
			String rest = key.substring(this.prefix.length());
			if (rest.startsWith(MEMBERS)) {
				MemberInfo member = MemberInfo.decode(EtcdKeys.string(kv.getValue()), kv.getLease(), kv.getCreateRevision());
				if (member != null) {
					members.add(member);
				}
			}
			else if (rest.startsWith(OWNERS)) {
				Integer shard = shardOf(rest.substring(OWNERS.length()));
				if (shard != null) {
					owners.put(shard, EtcdKeys.string(kv.getValue()));
				}
			}
		}
		members.sort((a, b) -> Long.compare(a.createRevision(), b.createRevision()));
		this.membersView = List.copyOf(members);
		this.ownersView = Collections.unmodifiableMap(owners);
		long now = System.nanoTime();
		for (int shard = 0; shard < this.count; shard++) {
			if (owners.containsKey(shard)) {
				this.unownedSince.remove(shard);
			}
			else {
				this.unownedSince.putIfAbsent(shard, now);
			}
		}
		evaluate();
	}

	/**
	 * Act on the current view: give up shards assigned elsewhere, take the ones assigned here.
	 */
	private void evaluate() {
		if (!this.running || this.viewRevision == 0) {
			return;
		}
		dropDeletedKeys();
		Registration registration = this.registration;
		if (registration == null || !this.session.isValid(registration.leaseId())) {
			return;
		}
		if (!this.kvs.containsKey(registration.key()) && this.viewRevision >= registration.createRevision()) {
			// the member key is gone while the lease lives (deleted by someone): join again
			this.registration = null;
			register(registration.leaseId());
			return;
		}
		List<MemberInfo> members = this.membersView;
		if (members.isEmpty()) {
			return;
		}
		int inForce = members.get(0).count();
		if (inForce != this.count) {
			if (this.standingAside == null) {
				logger.warn("Sharded workload '" + this.name + "' has " + inForce + " shards in etcd (instance "
						+ members.get(0).instanceId() + ", the longest-standing member, has that count) but"
						+ " coordination.shards." + this.name + ".count is " + this.count
						+ " here: this instance owns none of its shards until every instance with " + inForce
						+ " shards has stopped");
			}
			this.standingAside = "coordination.shards." + this.name + ".count is " + this.count + " here, but "
					+ inForce + " shards are in force (instance " + members.get(0).instanceId() + ")";
			release(new ArrayList<>(this.owned.values()), Reason.REBALANCED);
			return;
		}
		if (this.standingAside != null) {
			logger.info("Sharded workload '" + this.name + "' has " + this.count + " shards in force again: this"
					+ " instance takes part");
			this.standingAside = null;
		}
		List<ShardAssignment.Member> current = members.stream()
			.filter((member) -> member.count() == inForce)
			.map((member) -> new ShardAssignment.Member(member.instanceId(), member.weight()))
			.distinct()
			.toList();
		if (!settle(current)) {
			return;
		}
		String me = this.identity.get().instanceId();
		String[] target = ShardAssignment.assign(this.name, this.count, this.settled, this.ownersView);
		List<Ownership> giveUp = new ArrayList<>();
		List<Integer> take = new ArrayList<>();
		List<KeyValue> strays = new ArrayList<>();
		for (int shard = 0; shard < this.count; shard++) {
			Ownership ownership = this.owned.get(shard);
			boolean mine = me.equals(target[shard]);
			if (ownership != null && !mine) {
				giveUp.add(ownership);
			}
			else if (ownership == null && mine) {
				take.add(shard);
			}
			else if (ownership == null) {
				KeyValue kv = this.kvs.get(ownerKey(shard));
				if (kv != null && kv.getLease() == registration.leaseId()) {
					strays.add(kv);
				}
			}
		}
		release(giveUp, Reason.REBALANCED);
		deleteStrays(strays);
		acquire(registration.leaseId(), take);
	}

	/**
	 * Delete keys on this instance's lease of shards it does not own and that are assigned
	 * elsewhere: left by a take whose outcome was unknown, or by a give-up whose delete failed. No
	 * work runs under them, and nobody else could take the shards while the session lives.
	 */
	private void deleteStrays(List<KeyValue> strays) {
		List<CompletableFuture<?>> deletes = new ArrayList<>();
		for (KeyValue kv : strays) {
			deletes.add(this.etcd.callAsync("delete stray key " + EtcdKeys.string(kv.getKey()), this.etcd.getRequestTimeout(),
					() -> this.etcd.getClient()
						.getKVClient()
						.txn()
						.If(new Cmp(kv.getKey(), Cmp.Op.EQUAL, CmpTarget.createRevision(kv.getCreateRevision())))
						.Then(Op.delete(kv.getKey(), io.etcd.jetcd.options.DeleteOption.DEFAULT))
						.commit()));
		}
		for (CompletableFuture<?> delete : deletes) {
			try {
				delete.join();
			}
			catch (RuntimeException ex) {
				// the next view shows the key still there, and tries again
				if (logger.isDebugEnabled()) {
					logger.debug("Could not delete a stray shard key of workload '" + this.name + "'", ex);
				}
			}
		}
	}

	/**
	 * Whether the membership settled: unchanged for the settle delay. Schedules another evaluation
	 * for when it will have.
	 */
	private boolean settle(List<ShardAssignment.Member> current) {
		Set<ShardAssignment.Member> now = Set.copyOf(current);
		if (this.everSettled && now.equals(Set.copyOf(this.settled))) {
			this.pending = null;
			return true;
		}
		long nanos = System.nanoTime();
		List<ShardAssignment.Member> pending = this.pending;
		if (pending == null || !now.equals(Set.copyOf(pending))) {
			this.pending = current;
			this.pendingSince = nanos;
		}
		long left = this.settleDelay.toNanos() - (nanos - this.pendingSince);
		if (left > 0) {
			ScheduledFuture<?> timer = this.settleTimer;
			if (timer != null) {
				timer.cancel(false);
			}
			this.settleTimer = schedule(this::evaluate, left);
			return false;
		}
		boolean first = !this.everSettled;
		this.settled = List.copyOf(current);
		this.everSettled = true;
		this.pending = null;
		if (!first) {
			this.metrics.rebalanced(this.name);
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Sharded workload '" + this.name + "' settled on members " + current);
		}
		return true;
	}

	/**
	 * Forget owned shards whose key the view no longer shows as created at their token: deleted by
	 * someone, or gone with the lease before the session noticed, and maybe created again since by
	 * another instance.
	 */
	private void dropDeletedKeys() {
		List<Ownership> gone = new ArrayList<>();
		for (Ownership ownership : this.owned.values()) {
			KeyValue kv = this.kvs.get(ownership.key);
			// the mirror hands a re-read, or changes gathered together, over as one view: a delete
			// and another instance's create of the key can arrive at once, so the key being there
			// proves nothing, its create revision does
			if (this.viewRevision >= ownership.token && (kv == null || kv.getCreateRevision() != ownership.token)) {
				gone.add(ownership);
			}
		}
		if (gone.isEmpty()) {
			return;
		}
		gone.forEach((ownership) -> {
			this.owned.remove(ownership.shard, ownership);
			ownership.revoke(true);
		});
		boolean sessionValid = gone.stream().allMatch(Ownership::sessionValid);
		tellRevoked(gone, (sessionValid && !leaseGone(gone)) ? Reason.KEY_DELETED : Reason.SESSION_LOST);
	}

	/**
	 * Whether the keys went with their lease: a revoked lease takes every key on it at once, so the
	 * watch can show them gone before the session's next keep-alive hears that the lease is. Asked
	 * only when this instance's member key, on the same lease, went too.
	 */
	private boolean leaseGone(List<Ownership> gone) {
		Registration current = this.registration;
		long leaseId = gone.get(0).leaseId;
		if (current == null || current.leaseId() != leaseId || this.kvs.containsKey(current.key())
				|| this.viewRevision < current.createRevision()) {
			return false;
		}
		try {
			return this.etcd
				.call("time-to-live of lease " + EtcdKeys.leaseHex(leaseId),
						() -> this.etcd.getClient().getLeaseClient().timeToLive(leaseId, LeaseOption.DEFAULT))
				.getTTL() == -1;
		}
		catch (EtcdAccessException ex) {
			return false;
		}
	}

	/**
	 * Give up shards: no longer owned, listeners told, runs ended, then each key deleted if it is
	 * still the one created at its token.
	 */
	private void release(List<Ownership> giveUp, Reason reason) {
		if (giveUp.isEmpty()) {
			return;
		}
		giveUp.forEach((ownership) -> {
			this.owned.remove(ownership.shard, ownership);
			ownership.revoke(false);
		});
		tellRevoked(giveUp, reason);
		List<CompletableFuture<?>> deletes = new ArrayList<>();
		for (Ownership ownership : giveUp) {
			if (!ownership.awaitRuns()) {
				// the session was lost meanwhile: the key goes with the lease
				continue;
			}
			deletes.add(this.etcd.callAsync("give up shard " + ownership.shard + " of workload '" + this.name + "'",
					this.etcd.getRequestTimeout(), () -> this.etcd.getClient()
						.getKVClient()
						.txn()
						.If(new Cmp(EtcdKeys.bytes(ownership.key), Cmp.Op.EQUAL, CmpTarget.createRevision(ownership.token)))
						.Then(Op.delete(EtcdKeys.bytes(ownership.key), io.etcd.jetcd.options.DeleteOption.DEFAULT))
						.commit()));
		}
		int failed = 0;
		for (CompletableFuture<?> delete : deletes) {
			try {
				delete.join();
			}
			catch (RuntimeException ex) {
				failed++;
				if (logger.isDebugEnabled()) {
					logger.debug("Could not delete a shard key of workload '" + this.name + "'", ex);
				}
			}
		}
		if (failed > 0) {
			logger.warn("Could not delete " + failed + " shard key(s) of workload '" + this.name
					+ "' that this instance gave up; they go with the session lease, and the shards wait for it");
		}
	}

	/**
	 * Take the shards assigned here that the view shows without an owner; adopt keys on this lease
	 * that a request with an unknown outcome created.
	 */
	private void acquire(long leaseId, List<Integer> shards) {
		String me = this.identity.get().instanceId();
		Map<Integer, CompletableFuture<TxnResponse>> attempts = new LinkedHashMap<>();
		Map<Integer, Long> adopted = new TreeMap<>();
		for (int shard : shards) {
			String key = ownerKey(shard);
			KeyValue existing = this.kvs.get(key);
			if (existing != null) {
				if (existing.getLease() == leaseId) {
					adopted.put(shard, existing.getCreateRevision());
				}
				continue;
			}
			attempts.put(shard, this.etcd.callAsync("take shard " + shard + " of workload '" + this.name + "'",
					this.etcd.getRequestTimeout(), () -> this.etcd.getClient()
						.getKVClient()
						.txn()
						.If(new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
						.Then(Op.put(EtcdKeys.bytes(key), EtcdKeys.bytes(me), PutOption.builder().withLeaseId(leaseId).build()))
						.commit()));
		}
		Map<Integer, Long> taken = new TreeMap<>(adopted);
		EtcdAccessException failure = null;
		for (Map.Entry<Integer, CompletableFuture<TxnResponse>> attempt : attempts.entrySet()) {
			try {
				TxnResponse response = attempt.getValue().join();
				if (response.isSucceeded()) {
					taken.put(attempt.getKey(), response.getHeader().getRevision());
				}
			}
			catch (RuntimeException ex) {
				if (ex.getCause() instanceof EtcdAccessException access) {
					failure = access;
				}
				else if (ex instanceof EtcdAccessException access) {
					failure = access;
				}
				else {
					throw ex;
				}
			}
		}
		if (!taken.isEmpty()) {
			if (!this.session.isValid(leaseId)) {
				// lost while taking: the keys go with the lease, the renewal takes part again
				return;
			}
			long now = System.nanoTime();
			Map<Integer, Long> tokens = new TreeMap<>();
			taken.forEach((shard, token) -> {
				this.owned.put(shard, new Ownership(shard, ownerKey(shard), token, leaseId));
				tokens.put(shard, token);
				Long since = this.unownedSince.remove(shard);
				this.metrics.taken(this.name, Duration.ofNanos((since != null) ? now - since : 0));
			});
			if (!this.session.isValid(leaseId)) {
				// lost between the check above and the puts: leaseLost ran before these ownerships
				// were there to be removed, so remove them here
				taken.keySet().forEach((shard) -> {
					Ownership ownership = this.owned.get(shard);
					if (ownership != null && ownership.leaseId == leaseId) {
						this.owned.remove(shard, ownership);
						ownership.revoke(true);
					}
				});
				return;
			}
			logger.info("Instance " + me + " owns shard(s) " + tokens.keySet() + " of workload '" + this.name + "'");
			tell(new ShardsAssignedEvent(this.name, tokens), ShardListener::assigned);
		}
		if (failure != null) {
			this.failures.failed("Could not take shards of workload '" + this.name + "': "
					+ FailureDescription.describe(failure, this.etcd) + "; retrying while the session lasts", failure);
			retryLater(this::evaluate);
		}
		else {
			this.backoff.reset();
		}
	}

	private void tellRevoked(List<Ownership> revoked, Reason reason) {
		List<Integer> shards = revoked.stream().map((ownership) -> ownership.shard).sorted().toList();
		logger.info("Instance " + this.identity.get().instanceId() + " no longer owns shard(s) " + shards
				+ " of workload '" + this.name + "' (" + reason + ")");
		this.metrics.revoked(this.name, shards.size(), reason.name());
		tell(new ShardsRevokedEvent(this.name, shards, reason), ShardListener::revoked);
	}

	private <E> void tell(E event, BiConsumer<ShardListener, E> call) {
		for (ShardListener listener : this.allListeners) {
			try {
				call.accept(listener, event);
			}
			catch (RuntimeException ex) {
				logger.error("Listener " + listener + " of sharded workload '" + this.name + "' failed on " + event, ex);
			}
		}
	}

	private void retryLater(Runnable task) {
		ScheduledFuture<?> timer = this.retryTimer;
		if (timer != null && !timer.isDone()) {
			return;
		}
		this.retryTimer = schedule(task, this.backoff.nextDelayNanos());
	}

	private String ownerKey(int shard) {
		return this.prefix + OWNERS + shard;
	}

	private @Nullable Integer shardOf(String text) {
		try {
			int shard = Integer.parseInt(text);
			return (shard >= 0 && shard < this.count) ? shard : null;
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	private void checkShard(int shard) {
		if (shard < 0 || shard >= this.count) {
			throw new IllegalArgumentException("Shard " + shard + " is not a shard of workload '" + this.name
					+ "': its shards are 0 to " + (this.count - 1) + " (coordination.shards." + this.name + ".count="
					+ this.count + ")");
		}
	}

	private @Nullable ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
		try {
			return this.executor.schedule(() -> {
				try {
					if (this.running) {
						task.run();
					}
				}
				catch (RuntimeException ex) {
					logger.error("Sharded workload '" + this.name + "' failed to process an event", ex);
				}
			}, delayNanos, TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			return null;
		}
	}

	private @Nullable Future<?> submit(Runnable task) {
		try {
			return this.executor.submit(() -> {
				try {
					task.run();
				}
				catch (RuntimeException ex) {
					logger.error("Sharded workload '" + this.name + "' failed to process an event", ex);
				}
			});
		}
		catch (RejectedExecutionException ex) {
			return null;
		}
	}

	private void await(@Nullable Future<?> future) {
		if (future == null) {
			return;
		}
		try {
			future.get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (Exception ex) {
			logger.warn("Sharded workload '" + this.name + "' failed while stopping; closing anyway", ex);
		}
	}

	@Override
	public String toString() {
		return "EtcdShardedWorkload '" + this.name + "' (" + this.count + " shards, " + this.prefix + ")";
	}

	/**
	 * A member of the workload, as its key shows it.
	 *
	 * @param instanceId its instance id
	 * @param weight its weight
	 * @param count the shard count it is configured with
	 * @param leaseId the lease its key lives on
	 * @param createRevision when it joined
	 */
	public record MemberInfo(String instanceId, int weight, int count, long leaseId, long createRevision) {

		static String encode(String instanceId, int weight, int count) {
			return "count=" + count + ",weight=" + weight + ",instance=" + instanceId;
		}

		static @Nullable MemberInfo decode(String value, long leaseId, long createRevision) {
			String[] parts = value.split(",", 3);
			if (parts.length != 3 || !parts[0].startsWith("count=") || !parts[1].startsWith("weight=")
					|| !parts[2].startsWith("instance=")) {
				return null;
			}
			try {
				return new MemberInfo(parts[2].substring("instance=".length()),
						Integer.parseInt(parts[1].substring("weight=".length())),
						Integer.parseInt(parts[0].substring("count=".length())), leaseId, createRevision);
			}
			catch (NumberFormatException ex) {
				return null;
			}
		}

	}

	/**
	 * This instance's member key.
	 */
	private record Registration(long leaseId, String key, long createRevision) {
	}

	/**
	 * A hold on an owned shard for one run of work.
	 */
	public interface Hold extends AutoCloseable {

		/**
		 * The shard.
		 * @return the shard number
		 */
		int shard();

		/**
		 * The fencing token of the ownership held.
		 * @return the token
		 */
		long token();

		/**
		 * Whether the ownership still holds: not revoked, and the session provably alive.
		 * @return {@code true} when still owning the shard
		 */
		boolean isValid();

		@Override
		void close();

	}

	/**
	 * This instance's ownership of one shard.
	 */
	private final class Ownership {

		private final int shard;

		private final String key;

		private final long token;

		private final long leaseId;

		// guarded by this
		private final Set<Thread> running = new java.util.HashSet<>();

		private int runs;

		private boolean revoked;

		Ownership(int shard, String key, long token, long leaseId) {
			this.shard = shard;
			this.key = key;
			this.token = token;
			this.leaseId = leaseId;
		}

		boolean sessionValid() {
			return EtcdShardedWorkload.this.session.isValid(this.leaseId);
		}

		synchronized boolean isValid() {
			return !this.revoked && sessionValid();
		}

		synchronized @Nullable Hold hold() {
			if (this.revoked || !sessionValid()) {
				return null;
			}
			Thread thread = Thread.currentThread();
			this.runs++;
			this.running.add(thread);
			Ownership ownership = this;
			return new Hold() {

				private boolean closed;

				@Override
				public int shard() {
					return ownership.shard;
				}

				@Override
				public long token() {
					return ownership.token;
				}

				@Override
				public boolean isValid() {
					return ownership.isValid();
				}

				@Override
				public void close() {
					synchronized (ownership) {
						if (this.closed) {
							return;
						}
						this.closed = true;
						ownership.runs--;
						ownership.running.remove(thread);
						ownership.notifyAll();
					}
				}

			};
		}

		/**
		 * No new runs; with {@code interrupt}, the running ones are interrupted.
		 */
		synchronized void revoke(boolean interrupt) {
			this.revoked = true;
			if (interrupt) {
				this.running.forEach(Thread::interrupt);
			}
		}

		/**
		 * Wait until the runs end, while the session lasts.
		 * @return {@code true} when they ended, {@code false} when the session was lost meanwhile
		 */
		synchronized boolean awaitRuns() {
			while (this.runs > 0) {
				if (!sessionValid()) {
					this.running.forEach(Thread::interrupt);
					return false;
				}
				try {
					wait(100);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return false;
				}
			}
			return sessionValid();
		}

	}

}
