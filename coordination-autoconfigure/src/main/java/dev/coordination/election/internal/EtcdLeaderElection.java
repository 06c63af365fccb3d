package dev.coordination.election.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderChangedEvent;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.RevocationReason;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.CoordinationEvents;
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
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * {@link LeaderElection} on the coordination session, with the key layout of etcd's Go
 * {@code concurrency.Election}: each candidate writes {@code <prefix>/<election>/<leaseHex>} on its
 * session lease, with its identity as the value, and the key with the lowest create revision leads.
 * {@code etcdctl elect} and Go services take part in, and observe, the same election.
 * <p>
 * One {@link PrefixMirror} per election keeps a revision-consistent view of the candidates: it tells this
 * instance when every earlier candidate is gone, and followers who leads. Leadership is an
 * {@link AtomicReference} changed in one place ({@link #changeLeadership}), which fires listeners
 * only on a real change; {@link #isLeader()} additionally requires the session to be provably alive
 * for the term's lease, so a leader stops leading at the session's local deadline even before the
 * loss is processed.
 * <p>
 * The candidacy and the view change on one thread per election; leadership may also be revoked on
 * the session's thread, synchronously with the session's loss. Listeners are told on the event
 * thread, in the order the changes happened.
 */
public class EtcdLeaderElection implements LeaderElection, LeaseListener {

	private static final Log logger = LogFactory.getLog(EtcdLeaderElection.class);

	private final String name;

	private final String prefix;

	private final EtcdTemplate etcd;

	private final EtcdSession session;

	private final Supplier<InstanceIdentity> identity;

	private final boolean candidate;

	private final CampaignGate gate;

	private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();

	// this election's listeners, then those of every election
	private final Iterable<LeadershipListener> allListeners;

	// told on the thread that changes leadership, within the change
	private final List<LeadershipListener> immediateListeners = new CopyOnWriteArrayList<>();

	private final CoordinationEvents events;

	private final ElectionMetrics metrics;

	private final AtomicReference<@Nullable LeaderTerm> leadership = new AtomicReference<>();

	private final Set<Thread> interruptible = ConcurrentHashMap.newKeySet();

	// asynchronous work to be told when the term it runs under ends
	private final Set<TermWatch> termWatches = ConcurrentHashMap.newKeySet();

	// written before the term it names is revoked: a watch registered too late reads its reason here
	private volatile @Nullable TermEnd lastTermEnd;

	private final Object leadershipMonitor = new Object();

	private final Object notificationMonitor = new Object();

	private final ExecutorService executor;

	private volatile @Nullable Candidacy candidacy;

	private volatile @Nullable Candidate leader;

	// the candidates in line, the leader first; changes with the leader
	private volatile List<Candidate> line = List.of();

	private volatile boolean running;

	// Confined to the election's thread.

	private final TreeMap<Long, KeyValue> candidates = new TreeMap<>();

	private long viewRevision;

	private final RetryPolicy.Backoff campaignBackoff;

	private final RepeatedFailureLog campaignFailures = new RepeatedFailureLog(logger);

	private final PrefixMirror view;

	/**
	 * Create an election; it campaigns once {@link #start() started} and the session is valid.
	 * @param name the election name
	 * @param prefix the normalised key prefix of all elections, for example {@code /elections}
	 * @param etcd the etcd access
	 * @param session the session the candidacy lives on
	 * @param identity this instance's identity, written as the value of its election key
	 * @param candidate whether this instance campaigns; {@code false} only observes who leads
	 * @param events the thread listeners are told on
	 * @param sharedListeners listeners of every election, told after this election's own
	 * @param retry how to wait between failed campaigns and reads
	 * @param progress whether and how often its watch asks etcd how far it is
	 * @param metrics where to report leadership changes
	 */
	public EtcdLeaderElection(String name, String prefix, EtcdTemplate etcd, EtcdSession session,
			Supplier<InstanceIdentity> identity, boolean candidate, CoordinationEvents events,
			List<LeadershipListener> sharedListeners, RetryPolicy retry, WatchProgress progress,
			ElectionMetrics metrics) {
		this(name, prefix, etcd, session, identity, candidate, CampaignGate.OPEN, events, sharedListeners, retry,
				progress, metrics);
	}

	/**
	 * Create an election; it campaigns once {@link #start() started}, the session is valid and
	 * {@code gate} is open.
	 * @param name the election name
	 * @param prefix the normalised key prefix of all elections, for example {@code /elections}
	 * @param etcd the etcd access
	 * @param session the session the candidacy lives on
	 * @param identity this instance's identity, written as the value of its election key
	 * @param candidate whether this instance campaigns; {@code false} only observes who leads
	 * @param gate when it may campaign; when it closes, the election resigns
	 * @param events the thread listeners are told on
	 * @param sharedListeners listeners of every election, told after this election's own
	 * @param retry how to wait between failed campaigns and reads
	 * @param progress whether and how often its watch asks etcd how far it is
	 * @param metrics where to report leadership changes
	 */
	public EtcdLeaderElection(String name, String prefix, EtcdTemplate etcd, EtcdSession session,
			Supplier<InstanceIdentity> identity, boolean candidate, CampaignGate gate, CoordinationEvents events,
			List<LeadershipListener> sharedListeners, RetryPolicy retry, WatchProgress progress,
			ElectionMetrics metrics) {
		this.gate = gate;
		this.metrics = metrics;
		this.name = name;
		this.prefix = EtcdKeys.key(prefix, EtcdKeys.segment("election name", name)) + "/";
		this.etcd = etcd;
		this.session = session;
		this.identity = identity;
		this.candidate = candidate;
		this.events = events;
		this.campaignBackoff = retry.backoff();
		this.view = new PrefixMirror(etcd, "election-" + name, List.of(this.prefix), (key) -> true, Duration.ZERO, retry,
				progress, (kvs, changed, revision, receivedAt) -> submit(() -> onView(kvs.values(), revision)));
		this.allListeners = () -> Stream.concat(this.listeners.stream(), sharedListeners.stream()).iterator();
		this.executor = Executors.newSingleThreadExecutor(CoordinationThreads.daemon("coordination-election-" + name));
		gate.addListener(this::gateChanged);
	}

	@Override
	public String name() {
		return this.name;
	}

	/**
	 * Key prefix of this election's candidates, ending with {@code /}.
	 * @return the prefix
	 */
	public String keyPrefix() {
		return this.prefix;
	}

	/**
	 * Whether this instance takes part in the election now: it is a candidate (not only an observer)
	 * and its campaign gate is open, so it leads, is queued, or will queue once its session is valid.
	 * @return {@code true} when campaigning
	 */
	public boolean isCampaigning() {
		return this.candidate && this.gate.isOpen();
	}

	/**
	 * Whether this instance is a candidate of the election at all, whether or not its campaign gate
	 * is open.
	 * @return {@code false} for an instance that only observes the election
	 */
	public boolean isCandidate() {
		return this.candidate;
	}

	@Override
	public boolean isLeader() {
		LeaderTerm term = this.leadership.get();
		return term != null && this.session.isValid(term.leaseId());
	}

	@Override
	public Optional<LeaderTerm> currentTerm() {
		LeaderTerm term = this.leadership.get();
		return (term != null && this.session.isValid(term.leaseId())) ? Optional.of(term) : Optional.empty();
	}

	@Override
	public OptionalLong fencingToken() {
		return currentTerm().map((term) -> OptionalLong.of(term.token())).orElse(OptionalLong.empty());
	}

	@Override
	public WriteResult fencedWrite(FencedWrite write) {
		LeaderTerm term = currentTerm().orElseThrow(() -> new NotLeaderException(this.name, "a fenced write"));
		return this.etcd.fencedWrite(term.key(), term.token(), write);
	}

	@Override
	public Optional<Candidate> leader() {
		return Optional.ofNullable(this.leader);
	}

	@Override
	public List<Candidate> candidates() {
		return this.line;
	}

	/**
	 * Fencing token of this instance's place in the line, whether or not it leads.
	 * @return the create revision of its election key, empty when it has none
	 */
	OptionalLong candidacyToken() {
		Candidacy current = this.candidacy;
		return (current != null) ? OptionalLong.of(current.token()) : OptionalLong.empty();
	}

	@Override
	public boolean awaitLeadership(Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		synchronized (this.leadershipMonitor) {
			while (!isLeader()) {
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					return false;
				}
				// a leader can also stop being valid without a change here: poll at least every 100 ms
				TimeUnit.NANOSECONDS.timedWait(this.leadershipMonitor, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
			}
			return true;
		}
	}

	@Override
	public void resign() {
		await(submit(() -> {
			Candidacy current = this.candidacy;
			withdraw(current, RevocationReason.RESIGNED);
			long leaseId = this.session.leaseId();
			if (this.running && leaseId != 0) {
				campaign(leaseId);
			}
		}));
	}

	@Override
	public void addListener(LeadershipListener listener) {
		this.listeners.add(listener);
	}

	@Override
	public void removeListener(LeadershipListener listener) {
		this.listeners.remove(listener);
	}

	/**
	 * Register a listener told synchronously, on the thread that changes leadership and within the
	 * change, rather than on the event thread: a revocation is told before a resignation or a
	 * shutdown deletes the election key, and before the session asks for a new lease after a loss,
	 * so whatever the listener stops is stopped before another instance can be granted (a lost
	 * session is revoked {@code safety-margin} before etcd can expire its lease). Grants and
	 * revocations reach it one at a time, in order. When this instance leads already, the listener
	 * hears {@code granted} at once, on the calling thread.
	 * <p>
	 * For the starter's bridges to frameworks that start and stop work on leadership. The listener
	 * runs on the session's or the election's thread: it must be quick, and must not wait for this
	 * election ({@link #resign()}, {@link #stop()}).
	 * @param listener the listener
	 */
	public void addImmediateListener(LeadershipListener listener) {
		synchronized (this.notificationMonitor) {
			this.immediateListeners.add(listener);
			LeaderTerm term = this.leadership.get();
			if (term != null && this.session.isValid(term.leaseId())) {
				tellImmediately(listener, new LeadershipGrantedEvent(this, term), LeadershipListener::granted);
			}
		}
	}

	/**
	 * Unregister a listener added by {@link #addImmediateListener}. It may still hear a change that
	 * is being made while it is removed.
	 * @param listener the listener
	 */
	public void removeImmediateListener(LeadershipListener listener) {
		this.immediateListeners.remove(listener);
	}

	/**
	 * Start watching the election and campaigning whenever the session is valid.
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
	 * The campaign gate opened or closed: campaign, or resign and stay out. A closing waits until
	 * the election key is deleted (bounded by the request timeout).
	 */
	private void gateChanged() {
		if (this.gate.isOpen()) {
			submit(() -> {
				long leaseId = this.session.leaseId();
				if (this.running && leaseId != 0) {
					campaign(leaseId);
				}
			});
		}
		else {
			await(submit(() -> {
				Candidacy candidacy = this.candidacy;
				if (!this.gate.isOpen() && !withdraw(candidacy, RevocationReason.RESIGNED) && candidacy != null) {
					// the key would stay ahead of the queue, on a live lease, while nothing campaigns
					retryDeleteWhileClosed(candidacy);
				}
			}));
		}
	}

	/**
	 * Leave the election: revoke leadership (reason {@link RevocationReason#SHUTDOWN}), delete the
	 * election key so the next candidate takes over at once, stop watching. Bounded by the request
	 * timeout.
	 */
	public synchronized void stop() {
		if (!this.running) {
			return;
		}
		this.running = false;
		// the key first, the rest after: a successor waits for the delete. Session events that arrive
		// meanwhile campaign no more (not running), and a lost lease revokes what is left as usual.
		await(submit(() -> withdraw(this.candidacy, RevocationReason.SHUTDOWN)));
		this.session.removeLeaseListener(this);
		this.view.stop();
		this.executor.shutdownNow();
	}

	/**
	 * Run with the current thread registered to be interrupted when leadership is revoked.
	 * @param task what to run
	 * @param <T> the result type
	 * @return the task's result
	 * @throws Throwable what the task threw
	 */
	<T> @Nullable T interruptibly(ThrowingSupplier<T> task) throws Throwable {
		Thread thread = Thread.currentThread();
		this.interruptible.add(thread);
		try {
			return task.get();
		}
		finally {
			// under the lock that revocation interrupts under: no interrupt reaches the thread later
			synchronized (this.interruptible) {
				this.interruptible.remove(thread);
			}
		}
	}

	/**
	 * Register a listener and read the state it starts from in one step: the listener hears exactly
	 * the changes that {@code read} does not show yet (changes and their notifications are one step
	 * too).
	 * @param <T> the state type
	 * @param listener the listener
	 * @param read reads the state, for example {@link #currentTerm()} and {@link #leader()}
	 * @return what {@code read} returned
	 */
	<T> T addListener(LeadershipListener listener, Supplier<T> read) {
		synchronized (this.notificationMonitor) {
			this.listeners.add(listener);
			return read.get();
		}
	}

	/**
	 * Tell asynchronous work when the term it runs under ends: the future completes with the reason
	 * when {@code term} is revoked, on the event thread, or at once, on the calling thread, when it
	 * already was. Cancel it once the work is done, so that it is forgotten.
	 * @param term a term of this instance
	 * @return the future
	 */
	CompletableFuture<RevocationReason> revocation(LeaderTerm term) {
		CompletableFuture<RevocationReason> revoked = new CompletableFuture<>();
		TermWatch watch = new TermWatch(term, revoked);
		this.termWatches.add(watch);
		revoked.whenComplete((reason, failure) -> this.termWatches.remove(watch));
		if (!term.equals(this.leadership.get())) {
			// revoked before the watch was added, so perhaps without seeing it; the reason was written
			// before the revocation. A term that never counted was undone with its session.
			TermEnd end = this.lastTermEnd;
			revoked.complete((end != null && end.term().equals(term)) ? end.reason() : RevocationReason.SESSION_LOST);
		}
		return revoked;
	}

	// Session events, on the session's thread.

	@Override
	public void leaseGranted(long leaseId, boolean renewal) {
		submit(() -> {
			if (this.running) {
				campaign(leaseId);
			}
		});
	}

	@Override
	public void leaseLost(long leaseId, SessionLossReason reason) {
		Candidacy current = this.candidacy;
		if (current != null && current.leaseId() == leaseId) {
			this.candidacy = null;
		}
		// synchronously: nobody may act on this term any more
		changeLeadership(null, leaseId, RevocationReason.SESSION_LOST);
	}

	@Override
	public void leaseClosing(long leaseId) {
		// the registry normally stopped the election before; this covers elections started later
		if (this.running) {
			stop();
		}
	}

	// On the election's thread.

	private void campaign(long leaseId) {
		if (!this.candidate || !this.gate.isOpen()) {
			return;
		}
		Candidacy current = this.candidacy;
		if (current != null && current.leaseId() == leaseId) {
			return;
		}
		if (!this.session.isValid(leaseId)) {
			return;
		}
		String key = this.prefix + EtcdKeys.leaseHex(leaseId);
		try {
			TxnResponse response = this.etcd.txn("campaign " + key, (txn) -> txn
				.If(new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
				.Then(Op.put(EtcdKeys.bytes(key), EtcdKeys.bytes(CandidateCodec.encode(this.identity.get())),
						PutOption.builder().withLeaseId(leaseId).build()))
				.Else(Op.get(EtcdKeys.bytes(key), GetOption.DEFAULT)));
			long token = response.isSucceeded() ? response.getHeader().getRevision()
					: response.getGetResponses().get(0).getKvs().get(0).getCreateRevision();
			if (!this.session.isValid(leaseId)) {
				// lost while campaigning: the key goes with the lease, the renewal campaigns again
				return;
			}
			this.campaignBackoff.reset();
			if (this.campaignFailures.reset()) {
				logger.info("Campaigning in election '" + this.name + "' again");
			}
			this.candidacy = new Candidacy(leaseId, key, token);
			if (logger.isDebugEnabled()) {
				logger.debug("Campaigning in election '" + this.name + "' with key " + key + " (token " + token + ")");
			}
			evaluate();
		}
		catch (EtcdAccessException ex) {
			// the session's next grant or renewal campaigns again; a valid session retries below
			this.campaignFailures.failed("Could not campaign in election '" + this.name + "': "
					+ FailureDescription.describe(ex, this.etcd) + "; not leading, retrying while the session lasts", ex);
			retryCampaign(leaseId);
		}
	}

	private void retryCampaign(long leaseId) {
		if (!this.running || !this.session.isValid(leaseId)) {
			return;
		}
		CompletableFuture.delayedExecutor(this.campaignBackoff.nextDelayNanos(), TimeUnit.NANOSECONDS)
			.execute(() -> submit(() -> {
				if (this.running) {
					campaign(leaseId);
				}
			}));
	}

	/**
	 * Revoke a candidacy and delete its key.
	 * @return {@code false} when the key could not be deleted
	 */
	private boolean withdraw(@Nullable Candidacy candidacy, RevocationReason reason) {
		if (candidacy == null) {
			return true;
		}
		this.candidacy = null;
		// stop leading first, then let the next candidate in
		changeLeadership(null, candidacy.leaseId(), reason);
		try {
			this.etcd.deleteIfCreatedAt(candidacy.key(), candidacy.token());
			return true;
		}
		catch (EtcdAccessException ex) {
			logger.warn("Could not delete election key " + candidacy.key() + " of election '" + this.name + "': "
					+ FailureDescription.describe(ex, this.etcd) + "; it goes with the session lease");
			if (logger.isDebugEnabled()) {
				logger.debug("Could not delete election key " + candidacy.key(), ex);
			}
			return false;
		}
	}

	/**
	 * Delete the key of a withdrawn candidacy again, with backoff, while the campaign gate stays
	 * closed and the key's lease is valid (a lost lease takes the key with it; an opened gate
	 * campaigns).
	 */
	private void retryDeleteWhileClosed(Candidacy candidacy) {
		CompletableFuture.delayedExecutor(this.campaignBackoff.nextDelayNanos(), TimeUnit.NANOSECONDS)
			.execute(() -> submit(() -> {
				if (!this.running || this.gate.isOpen() || !this.session.isValid(candidacy.leaseId())) {
					return;
				}
				try {
					this.etcd.deleteIfCreatedAt(candidacy.key(), candidacy.token());
					this.campaignBackoff.reset();
				}
				catch (EtcdAccessException ex) {
					retryDeleteWhileClosed(candidacy);
				}
			}));
	}

	private void evaluate() {
		Map.Entry<Long, KeyValue> first = this.candidates.firstEntry();
		Candidate previous = this.leader;
		// in create revision order: the leader, then who leads next
		List<Candidate> line = this.candidates.entrySet()
			.stream()
			.map((entry) -> CandidateCodec.decode(EtcdKeys.string(entry.getValue().getValue()), entry.getKey()))
			.toList();
		Candidate next = line.isEmpty() ? null : line.get(0);
		// like leadership, the leader changes in one step with its notification
		synchronized (this.notificationMonitor) {
			this.leader = next;
			this.line = line;
			if ((previous == null) ? next != null : next == null || previous.token() != next.token()) {
				this.events.publish(new LeaderChangedEvent(this, next), this.allListeners, LeadershipListener::leaderChanged);
			}
		}
		Candidacy current = this.candidacy;
		if (current == null || this.viewRevision == 0) {
			return;
		}
		if (!this.candidates.containsKey(current.token()) && this.viewRevision >= current.token()) {
			// our key is gone: deleted by someone, or with our lease (it expired while this process was
			// paused, and the delete arrived before the session noticed the loss)
			this.candidacy = null;
			changeLeadership(null, current.leaseId(), whyKeyIsGone(current.leaseId()));
			if (this.running && this.session.isValid(current.leaseId())) {
				campaign(current.leaseId());
			}
			return;
		}
		if (first != null && first.getKey() == current.token()) {
			changeLeadership(new LeaderTerm(this.name, current.token(), current.leaseId(), current.key(), Instant.now()),
					current.leaseId(), null);
		}
	}

	/**
	 * Why this instance's election key on {@code leaseId} is gone: with its lease when the session
	 * can no longer prove the lease alive or etcd no longer knows it, else deleted by someone.
	 */
	private RevocationReason whyKeyIsGone(long leaseId) {
		if (!this.session.isValid(leaseId)) {
			return RevocationReason.SESSION_LOST;
		}
		try {
			long ttl = this.etcd.call("time to live of lease " + EtcdKeys.leaseHex(leaseId),
					() -> this.etcd.getClient().getLeaseClient().timeToLive(leaseId, LeaseOption.DEFAULT)).getTTL();
			return (ttl > 0) ? RevocationReason.KEY_DELETED : RevocationReason.SESSION_LOST;
		}
		catch (EtcdAccessException ex) {
			return this.session.isValid(leaseId) ? RevocationReason.KEY_DELETED : RevocationReason.SESSION_LOST;
		}
	}

	/**
	 * The candidates as the election's mirror shows them at {@code revision}.
	 */
	private void onView(Collection<KeyValue> kvs, long revision) {
		this.candidates.clear();
		kvs.forEach((kv) -> this.candidates.put(kv.getCreateRevision(), kv));
		this.viewRevision = revision;
		evaluate();
	}

	// Leadership, from any thread.

	/**
	 * The one place leadership changes: grant {@code term}, or revoke ({@code term == null}) the term
	 * on {@code leaseId}. Listeners are told only of a real change.
	 */
	private void changeLeadership(@Nullable LeaderTerm term, long leaseId, @Nullable RevocationReason reason) {
		// a change and its notification are one step: listeners never hear "revoked" before the
		// "granted" of the same term
		synchronized (this.notificationMonitor) {
			changeAndNotify(term, leaseId, reason);
		}
	}

	private void changeAndNotify(@Nullable LeaderTerm term, long leaseId, @Nullable RevocationReason reason) {
		if (term != null) {
			if (!this.leadership.compareAndSet(null, term)) {
				return;
			}
			if (!this.session.isValid(leaseId)) {
				// the session was lost while we were granting: undo silently, nobody was told yet
				this.leadership.compareAndSet(term, null);
				return;
			}
			logger.info("Instance " + this.identity.get().instanceId() + " leads election '" + this.name + "' (token " + term.token()
					+ ", lease " + EtcdKeys.leaseHex(leaseId) + ")");
			synchronized (this.leadershipMonitor) {
				this.leadershipMonitor.notifyAll();
			}
			this.metrics.granted(this.name);
			LeadershipGrantedEvent granted = new LeadershipGrantedEvent(this, term);
			this.immediateListeners.forEach((listener) -> tellImmediately(listener, granted, LeadershipListener::granted));
			this.events.publish(granted, this.allListeners, LeadershipListener::granted);
			return;
		}
		LeaderTerm ended = this.leadership.get();
		if (ended == null || ended.leaseId() != leaseId) {
			return;
		}
		Assert.state(reason != null, "Leadership was revoked without a reason");
		// changes are serialized: the revocation below succeeds
		this.lastTermEnd = new TermEnd(ended, reason);
		if (!this.leadership.compareAndSet(ended, null)) {
			return;
		}
		logger.info("Instance " + this.identity.get().instanceId() + " no longer leads election '" + this.name + "' (token "
				+ ended.token() + ", " + reason + ")");
		synchronized (this.interruptible) {
			this.interruptible.forEach(Thread::interrupt);
		}
		LeadershipRevokedEvent revoked = new LeadershipRevokedEvent(this, ended, reason);
		// before anything that lets a successor in: the caller deletes the key, or the session asks for
		// a new lease, only once this returns
		this.immediateListeners.forEach((listener) -> tellImmediately(listener, revoked, LeadershipListener::revoked));
		endWatches(ended, reason);
		this.metrics.revoked(this.name, reason, Duration.between(ended.since(), Instant.now()));
		this.events.publish(revoked, this.allListeners, LeadershipListener::revoked);
	}

	private <E> void tellImmediately(LeadershipListener listener, E event, BiConsumer<LeadershipListener, E> call) {
		try {
			call.accept(listener, event);
		}
		catch (RuntimeException ex) {
			logger.error("Listener " + listener + " of election '" + this.name + "' failed on " + event, ex);
		}
	}

	/**
	 * Tell the asynchronous work running under {@code ended} that it ended: on the event thread,
	 * never on the session's or the election's, which must not wait for the work's cancellation.
	 */
	private void endWatches(LeaderTerm ended, RevocationReason reason) {
		List<TermWatch> ending = this.termWatches.stream().filter((watch) -> watch.term().equals(ended)).toList();
		if (!ending.isEmpty()) {
			this.events.run(() -> ending.forEach((watch) -> watch.revoked().complete(reason)));
		}
	}

	private @Nullable Future<?> submit(Runnable task) {
		try {
			return this.executor.submit(() -> {
				try {
					task.run();
				}
				catch (RuntimeException ex) {
					logger.error("Election '" + this.name + "' failed to process an event", ex);
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
			future.get(this.etcd.getRequestTimeout().multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (Exception ex) {
			if (FailureDescription.isAvailability(ex)) {
				logger.warn("Election '" + this.name + "' did not finish stopping within "
						+ this.etcd.getRequestTimeout().multipliedBy(2).toMillis() + " ms ("
						+ FailureDescription.describe(ex, this.etcd) + "); closing anyway");
				if (logger.isDebugEnabled()) {
					logger.debug("Election '" + this.name + "' did not finish in time", ex);
				}
			}
			else {
				logger.warn("Election '" + this.name + "' failed while stopping; closing anyway", ex);
			}
		}
	}

	@Override
	public String toString() {
		return "EtcdLeaderElection '" + this.name + "' (" + this.prefix + ")";
	}

	/**
	 * This instance's place in the election.
	 *
	 * @param leaseId the session lease the key lives on
	 * @param key the election key
	 * @param token the key's create revision
	 */
	private record Candidacy(long leaseId, String key, long token) {
	}

	/**
	 * Asynchronous work waiting to hear that its term ended.
	 *
	 * @param term the term it runs under
	 * @param revoked completed with the reason when the term ends
	 */
	private record TermWatch(LeaderTerm term, CompletableFuture<RevocationReason> revoked) {
	}

	/**
	 * The last term that ended, and why.
	 *
	 * @param term the term
	 * @param reason why it ended
	 */
	private record TermEnd(LeaderTerm term, RevocationReason reason) {
	}

	@FunctionalInterface
	interface ThrowingSupplier<T> {

		@Nullable T get() throws Throwable;

	}

}
