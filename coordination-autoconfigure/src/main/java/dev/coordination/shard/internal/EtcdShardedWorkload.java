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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
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
import io.etcd.jetcd.options.DeleteOption;
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

	// writes per transaction: etcd refuses more than 128 operations (--max-txn-ops) by default
	private static final int BATCH = 64;

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

	// the latest view of the mirror, until the workload's thread takes it
	private final AtomicReference<@Nullable View> nextView = new AtomicReference<>();

	// Confined to the workload's thread.

	private @Nullable Registration registration;

	// the revision this instance first joined at: its rank among the members, kept across renewals
	private long joinedAt;

	private @Nullable List<ShardAssignment.Member> pending;

	private long pendingSince;

	private boolean everSettled;

	private @Nullable ScheduledFuture<?> settleTimer;

	private @Nullable ScheduledFuture<?> retryTimer;

	private final Map<Integer, Long> unownedSince = new HashMap<>();

	// tokens of keys this instance gave up but could not delete: never adopted again
	private final Set<Long> abandoned = new java.util.HashSet<>();

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
					// only the latest view is evaluated: a rebalance of N shards is N revisions, and one
					// evaluation per revision left the workload's thread seconds behind at 1,024 shards
					if (this.nextView.getAndSet(new View(new HashMap<>(kvs), revision)) == null) {
						submit(this::onNextView);
					}
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
		String value = MemberInfo.encode(this.identity.get().instanceId(), this.weight, this.count, this.joinedAt);
		try {
			long revision = this.etcd.put(key, value, leaseId).getHeader().getRevision();
			this.registration = new Registration(leaseId, key, revision);
			if (this.joinedAt == 0) {
				this.joinedAt = revision;
			}
			if (this.failures.reset()) {
				logger.info("Taking part in sharded workload '" + this.name + "' again");
			}
			evaluate();
		}
		catch (EtcdAccessException ex) {
			this.failures.failed("Could not join sharded workload '" + this.name + "': "
					+ FailureDescription.describe(ex, this.etcd) + "; retrying while the session lasts", ex);
			retryLater();
		}
	}

	private void onNextView() {
		View view = this.nextView.getAndSet(null);
		if (view != null) {
			onView(view.kvs(), view.revision());
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
		members.sort((a, b) -> Long.compare(a.joinedAt(), b.joinedAt()));
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
		if (!this.abandoned.isEmpty()) {
			Set<Long> present = this.kvs.values().stream().map(KeyValue::getCreateRevision).collect(Collectors.toSet());
			this.abandoned.retainAll(present);
		}
		Registration registration = this.registration;
		long leaseId = this.session.leaseId();
		if ((registration == null || registration.leaseId() != leaseId) && leaseId != 0
				&& this.session.isValid(leaseId)) {
			// a renewed session whose registration failed, and whose retry gave way to another one
			register(leaseId);
			return;
		}
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
			deleteOrphans(registration.leaseId(), new String[this.count], this.identity.get().instanceId(), Set.of());
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
		for (int shard = 0; shard < this.count; shard++) {
			Ownership ownership = this.owned.get(shard);
			boolean mine = me.equals(target[shard]);
			if (ownership != null && !mine) {
				giveUp.add(ownership);
			}
			else if (ownership == null && mine) {
				take.add(shard);
			}
		}
		release(giveUp, Reason.REBALANCED);
		deleteOrphans(registration.leaseId(), target, me,
				giveUp.stream().map((ownership) -> ownership.shard).collect(Collectors.toSet()));
		acquire(registration.leaseId(), take);
	}

	/**
	 * Delete owner keys on this instance's lease that it does not own and that are assigned
	 * elsewhere: a give-up whose delete failed, or a take whose outcome was unknown. Left alone, they
	 * would keep their shards from their new owners for as long as the session lives.
	 */
	private void deleteOrphans(long leaseId, @Nullable String[] target, String me, Set<Integer> justGivenUp) {
		Map<Integer, Step> deletes = new LinkedHashMap<>();
		for (int shard = 0; shard < this.count; shard++) {
			KeyValue kv = this.kvs.get(ownerKey(shard));
			if (kv == null || kv.getLease() != leaseId || this.owned.containsKey(shard) || me.equals(target[shard])
					|| justGivenUp.contains(shard)) {
				continue;
			}
			deletes.put(shard, new Step(new Cmp(kv.getKey(), Cmp.Op.EQUAL, CmpTarget.createRevision(kv.getCreateRevision())),
					Op.delete(kv.getKey(), DeleteOption.DEFAULT)));
		}
		Outcome outcome = conditionally("delete the stray key of", deletes);
		EtcdAccessException failure = outcome.failure();
		if (failure != null) {
			this.failures.failed("Could not delete the keys of shards of workload '" + this.name
					+ "' that this instance no longer owns: " + FailureDescription.describe(failure, this.etcd)
					+ "; retrying while the session lasts", failure);
			retryLater();
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
		// a session loss may have removed (and will tell) some of them meanwhile
		gone.removeIf((ownership) -> !this.owned.remove(ownership.shard, ownership));
		if (gone.isEmpty()) {
			return;
		}
		gone.forEach((ownership) -> ownership.revoke(true));
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
		List<Ownership> removed = new ArrayList<>(giveUp);
		// a session loss may have removed (and will tell) some of them meanwhile
		removed.removeIf((ownership) -> !this.owned.remove(ownership.shard, ownership));
		if (removed.isEmpty()) {
			return;
		}
		// at shutdown, running work is asked to stop; in a rebalance it ends on its own
		removed.forEach((ownership) -> ownership.revoke(reason == Reason.SHUTDOWN));
		tellRevoked(removed, reason);
		Map<Integer, Step> deletes = new LinkedHashMap<>();
		for (Ownership ownership : removed) {
			if (!ownership.awaitRuns()) {
				// the session was lost meanwhile: the key goes with the lease
				continue;
			}
			deletes.put(ownership.shard,
					new Step(new Cmp(EtcdKeys.bytes(ownership.key), Cmp.Op.EQUAL, CmpTarget.createRevision(ownership.token)),
							Op.delete(EtcdKeys.bytes(ownership.key), DeleteOption.DEFAULT)));
		}
		Outcome outcome = conditionally("give up", deletes);
		removed.stream()
			.filter((ownership) -> deletes.containsKey(ownership.shard) && !outcome.applied().containsKey(ownership.shard))
			.forEach((ownership) -> this.abandoned.add(ownership.token));
		if (outcome.failure() != null) {
			logger.warn("Could not delete the keys of " + (deletes.size() - outcome.applied().size()) + " shard(s) of workload '"
					+ this.name + "' that this instance gave up: " + FailureDescription.describe(outcome.failure(), this.etcd)
					+ "; deleting them again at the next change, else they go with the session lease");
			retryLater();
		}
	}

	/**
	 * Apply one conditional write per shard, {@value #BATCH} to a transaction, the transactions in
	 * parallel. A transaction whose conditions do not all hold (the view was behind) is applied
	 * again as one transaction per shard, so each shard's own condition decides.
	 * @return the shards whose write was applied, with the revision it was applied at, and the last
	 * failure to reach etcd, if any
	 */
	private Outcome conditionally(String what, Map<Integer, Step> steps) {
		Map<Integer, Long> applied = new TreeMap<>();
		EtcdAccessException failure = null;
		List<List<Integer>> batches = new ArrayList<>();
		List<Integer> shards = new ArrayList<>(steps.keySet());
		for (int from = 0; from < shards.size(); from += BATCH) {
			batches.add(shards.subList(from, Math.min(shards.size(), from + BATCH)));
		}
		List<CompletableFuture<TxnResponse>> sent = batches.stream().map((batch) -> send(what, batch, steps)).toList();
		List<Integer> singly = new ArrayList<>();
		for (int i = 0; i < batches.size(); i++) {
			try {
				TxnResponse response = sent.get(i).join();
				if (response.isSucceeded()) {
					long revision = response.getHeader().getRevision();
					batches.get(i).forEach((shard) -> applied.put(shard, revision));
				}
				else if (batches.get(i).size() > 1) {
					singly.addAll(batches.get(i));
				}
			}
			catch (RuntimeException ex) {
				failure = accessFailure(ex);
			}
		}
		Map<Integer, CompletableFuture<TxnResponse>> single = new LinkedHashMap<>();
		singly.forEach((shard) -> single.put(shard, send(what, List.of(shard), steps)));
		for (Map.Entry<Integer, CompletableFuture<TxnResponse>> one : single.entrySet()) {
			try {
				TxnResponse response = one.getValue().join();
				if (response.isSucceeded()) {
					applied.put(one.getKey(), response.getHeader().getRevision());
				}
			}
			catch (RuntimeException ex) {
				failure = accessFailure(ex);
			}
		}
		return new Outcome(applied, failure);
	}

	private CompletableFuture<TxnResponse> send(String what, List<Integer> batch, Map<Integer, Step> steps) {
		String operation = what + " shard(s) " + ((batch.size() == 1) ? batch.get(0)
				: batch.get(0) + ".." + batch.get(batch.size() - 1)) + " of workload '" + this.name + "'";
		return this.etcd.callAsync(operation, this.etcd.getRequestTimeout(), () -> this.etcd.getClient()
			.getKVClient()
			.txn()
			.If(batch.stream().map((shard) -> step(steps, shard).condition()).toArray(Cmp[]::new))
			.Then(batch.stream().map((shard) -> step(steps, shard).write()).toArray(Op[]::new))
			.commit());
	}

	private static Step step(Map<Integer, Step> steps, int shard) {
		Step step = steps.get(shard);
		Assert.state(step != null, "No write for a shard of the batch");
		return step;
	}

	private static EtcdAccessException accessFailure(RuntimeException ex) {
		if (ex instanceof EtcdAccessException access) {
			return access;
		}
		if (ex.getCause() instanceof EtcdAccessException access) {
			return access;
		}
		throw ex;
	}

	/**
	 * Take the shards assigned here that the view shows without an owner; adopt keys on this lease
	 * that a request with an unknown outcome created.
	 */
	private void acquire(long leaseId, List<Integer> shards) {
		String me = this.identity.get().instanceId();
		Map<Integer, Step> attempts = new LinkedHashMap<>();
		Map<Integer, Long> adopted = new TreeMap<>();
		Map<Integer, Step> stale = new LinkedHashMap<>();
		for (int shard : shards) {
			String key = ownerKey(shard);
			KeyValue existing = this.kvs.get(key);
			if (existing != null) {
				if (existing.getLease() == leaseId && this.abandoned.contains(existing.getCreateRevision())) {
					// given up before, and its delete may still land: delete it, take the shard afresh
					stale.put(shard, new Step(new Cmp(existing.getKey(), Cmp.Op.EQUAL,
							CmpTarget.createRevision(existing.getCreateRevision())), Op.delete(existing.getKey(), DeleteOption.DEFAULT)));
				}
				else if (existing.getLease() == leaseId) {
					// a take whose outcome was unknown
					adopted.put(shard, existing.getCreateRevision());
				}
				continue;
			}
			attempts.put(shard, new Step(new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
					Op.put(EtcdKeys.bytes(key), EtcdKeys.bytes(me), PutOption.builder().withLeaseId(leaseId).build())));
		}
		if (!stale.isEmpty()) {
			conditionally("delete the given-up key of", stale);
		}
		Outcome outcome = conditionally("take", attempts);
		Map<Integer, Long> taken = new TreeMap<>(adopted);
		taken.putAll(outcome.applied());
		EtcdAccessException failure = outcome.failure();
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
			retryLater();
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

	/**
	 * Evaluate again after the backoff: an evaluation joins on the current lease, and gives up and
	 * takes what is still to do, so one pending retry covers every failure before it.
	 */
	private void retryLater() {
		ScheduledFuture<?> timer = this.retryTimer;
		if (timer != null && !timer.isDone()) {
			return;
		}
		this.retryTimer = schedule(this::evaluate, this.backoff.nextDelayNanos());
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
	public record MemberInfo(String instanceId, int weight, int count, long leaseId, long createRevision, long since) {

		/**
		 * When the instance first joined the workload: its rank when the members disagree on the
		 * count. A session renewal writes a new member key, but keeps the rank.
		 * @return the revision of its first member key
		 */
		public long joinedAt() {
			return (this.since > 0) ? this.since : this.createRevision;
		}

		static String encode(String instanceId, int weight, int count, long since) {
			return "count=" + count + ",weight=" + weight + ((since > 0) ? ",since=" + since : "") + ",instance="
					+ instanceId;
		}

		static @Nullable MemberInfo decode(String value, long leaseId, long createRevision) {
			String[] parts = value.split(",", 4);
			if (parts.length == 3) {
				parts = new String[] { parts[0], parts[1], "since=0", parts[2] };
			}
			if (parts.length != 4 || !parts[0].startsWith("count=") || !parts[1].startsWith("weight=")
					|| !parts[2].startsWith("since=") || !parts[3].startsWith("instance=")) {
				return null;
			}
			try {
				return new MemberInfo(parts[3].substring("instance=".length()),
						Integer.parseInt(parts[1].substring("weight=".length())),
						Integer.parseInt(parts[0].substring("count=".length())), leaseId, createRevision,
						Long.parseLong(parts[2].substring("since=".length())));
			}
			catch (NumberFormatException ex) {
				return null;
			}
		}

	}

	/**
	 * The keys of the workload as of a revision.
	 */
	private record View(Map<String, KeyValue> kvs, long revision) {
	}

	/**
	 * A write of one shard's key, applied only if its condition holds.
	 */
	private record Step(Cmp condition, Op write) {
	}

	/**
	 * What {@link #conditionally} applied, and the last failure to reach etcd.
	 */
	private record Outcome(Map<Integer, Long> applied, @Nullable EtcdAccessException failure) {
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
		// threads running work for the shard, with how many holds each has (a nested run holds twice)
		private final Map<Thread, Integer> running = new HashMap<>();

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
			this.running.merge(thread, 1, Integer::sum);
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
						ownership.running.computeIfPresent(thread, (held, holds) -> (holds > 1) ? holds - 1 : null);
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
				this.running.keySet().forEach(Thread::interrupt);
			}
		}

		/**
		 * Wait until the runs end, while the session lasts.
		 * @return {@code true} when they ended, {@code false} when the session was lost meanwhile
		 */
		synchronized boolean awaitRuns() {
			while (this.runs > 0) {
				if (!sessionValid()) {
					this.running.keySet().forEach(Thread::interrupt);
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
