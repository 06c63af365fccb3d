package dev.coordination.session.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdNotFoundException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.CoordinationThreads;
import dev.coordination.etcd.internal.EtcdExceptionTranslator;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.FailureDescription;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionInfo;
import dev.coordination.session.SessionListener;
import dev.coordination.session.SessionLossReason;
import dev.coordination.session.SessionLostEvent;
import dev.coordination.session.SessionRenewedEvent;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;
import org.springframework.util.Assert;

/**
 * {@link CoordinationSession} on one etcd lease, kept alive by keep-alive requests this class
 * sends itself, so that it knows when each acknowledged request was sent.
 * <p>
 * The lease cannot expire on etcd before {@code sent + TTL}; the session counts as valid until
 * {@code sent + TTL - safety margin} of the last acknowledged request (or of the grant). A
 * keep-alive is sent every third of {@code TTL - safety margin}, so three may fail before the
 * session is lost. When the deadline passes, or etcd answers that the lease is gone, listeners
 * are told synchronously, the old lease is revoked on a best-effort basis (its keys go at once if
 * etcd still has it), and a new lease is requested with the retry policy's back-off until
 * etcd grants one; listeners are then told of the renewal.
 * <p>
 * Every state change happens on one thread, {@code coordination-session}, which also calls the
 * {@link LeaseListener}s of the capabilities; the application's {@link SessionListener}s hear of
 * losses and renewals on the event thread, so they can never delay a keep-alive. On {@link #stop()} listeners are told first, then the lease is revoked; with etcd down
 * this is bounded by the request timeout.
 * <p>
 * Not guaranteed: that the session is valid at any given time (etcd may be unreachable), and
 * safety when this host's clock runs slower than etcd's by more than the safety margin over a TTL.
 */
public class EtcdSession implements CoordinationSession, SmartLifecycle {

	/**
	 * Lifecycle phase: the session starts before, and stops after, the capabilities that use it
	 * and the web server.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

	/**
	 * Smallest TTL accepted: etcd's minimum TTL with default election settings is about 2 s.
	 */
	public static final Duration MINIMUM_TTL = Duration.ofSeconds(2);

	private static final Log logger = LogFactory.getLog(EtcdSession.class);

	private final EtcdTemplate etcd;

	private final Duration ttl;

	private final Duration safetyMargin;

	private final long keepAliveIntervalNanos;

	private final SessionMetrics metrics;

	private final List<LeaseListener> leaseListeners = new CopyOnWriteArrayList<>();

	private final List<SessionListener> listeners = new CopyOnWriteArrayList<>();

	private final CoordinationEvents events;

	private final Object lifecycleMonitor = new Object();

	private volatile @Nullable ScheduledThreadPoolExecutor executor;

	private volatile boolean running;

	private volatile @Nullable CurrentLease current;

	private volatile @Nullable SessionLossReason lastLossReason;

	private volatile @Nullable String lastError;

	// lastError in words, for the log
	private volatile @Nullable String lastErrorWords;

	private volatile CompletableFuture<Void> firstLease = new CompletableFuture<>();

	// incremented by every start: answers to grants of an earlier run are ignored
	private volatile int generation;

	// Confined to the session thread.

	private @Nullable ScheduledFuture<?> keepAliveTask;

	private @Nullable ScheduledFuture<?> deadlineTask;

	private @Nullable ScheduledFuture<?> grantTask;

	private boolean granted;

	private final RetryPolicy.Backoff backoff;

	/**
	 * Create a session; it grants its lease when started.
	 * @param etcd the etcd access, whose request timeout bounds every call
	 * @param ttl the lease TTL, whole seconds, at least {@link #MINIMUM_TTL}
	 * @param safetyMargin how long before {@code sent + TTL} the session stops counting as
	 * valid, positive and smaller than the TTL
	 * @param metrics where to report, {@link SessionMetrics#NONE} for nowhere
	 * @param events the thread the application's listeners are told on
	 * @param retry how to wait between failed grants
	 */
	public EtcdSession(EtcdTemplate etcd, Duration ttl, Duration safetyMargin, SessionMetrics metrics,
			CoordinationEvents events, RetryPolicy retry) {
		Assert.notNull(etcd, "etcd must not be null");
		Assert.isTrue(ttl != null && ttl.compareTo(MINIMUM_TTL) >= 0 && ttl.toMillis() % 1000 == 0,
				() -> "ttl must be whole seconds and at least " + MINIMUM_TTL.toSeconds() + "s but was " + ttl);
		Assert.isTrue(safetyMargin != null && !safetyMargin.isNegative() && !safetyMargin.isZero()
				&& safetyMargin.compareTo(ttl) < 0,
				() -> "safetyMargin must be positive and smaller than the ttl (" + ttl + ") but was " + safetyMargin);
		this.etcd = etcd;
		this.ttl = ttl;
		this.safetyMargin = safetyMargin;
		this.keepAliveIntervalNanos = ttl.minus(safetyMargin).toNanos() / 3;
		this.metrics = (metrics != null) ? metrics : SessionMetrics.NONE;
		this.events = events;
		this.backoff = retry.backoff();
	}

	/**
	 * Interval between keep-alive requests: a third of {@code TTL - safety margin}.
	 * @return the interval
	 */
	public Duration getKeepAliveInterval() {
		return Duration.ofNanos(this.keepAliveIntervalNanos);
	}

	@Override
	public boolean isValid() {
		CurrentLease lease = this.current;
		return lease != null && lease.isValid(System.nanoTime());
	}

	@Override
	public boolean isValid(long leaseId) {
		CurrentLease lease = this.current;
		return lease != null && lease.id() == leaseId && lease.isValid(System.nanoTime());
	}

	@Override
	public long leaseId() {
		CurrentLease lease = this.current;
		return (lease != null && lease.isValid(System.nanoTime())) ? lease.id() : 0;
	}

	@Override
	public Duration timeLeft() {
		CurrentLease lease = this.current;
		long left = (lease != null) ? lease.deadlineNanos() - System.nanoTime() : 0;
		return (left > 0) ? Duration.ofNanos(left) : Duration.ZERO;
	}

	@Override
	public SessionInfo info() {
		CurrentLease current = this.current;
		CurrentLease lease = (current != null && current.isValid(System.nanoTime())) ? current : null;
		return new SessionInfo(lease != null, (lease != null) ? lease.id() : 0, this.ttl, this.safetyMargin, timeLeft(),
				(lease != null) ? lease.grantedAt() : null, (lease != null) ? lease.sentNanos() : 0,
				this.lastLossReason, this.lastError);
	}

	@Override
	public void addListener(SessionListener listener) {
		Assert.notNull(listener, "listener must not be null");
		this.listeners.add(listener);
	}

	@Override
	public void removeListener(SessionListener listener) {
		this.listeners.remove(listener);
	}

	/**
	 * Register a listener of the lease, called on the session's thread. When the session is valid
	 * at that moment, it is told about the current lease through
	 * {@link LeaseListener#leaseGranted} right away.
	 * @param listener the listener
	 */
	public void addLeaseListener(LeaseListener listener) {
		Assert.notNull(listener, "listener must not be null");
		synchronized (this.lifecycleMonitor) {
			if (!this.running) {
				this.leaseListeners.add(listener);
				return;
			}
			// on the session thread, so that the listener sees every later event exactly once
			execute(() -> {
				this.leaseListeners.add(listener);
				CurrentLease lease = this.current;
				if (lease != null && lease.isValid(System.nanoTime())) {
					notify(listener, (l) -> l.leaseGranted(lease.id(), false));
				}
			});
		}
	}

	/**
	 * Unregister a listener of the lease.
	 * @param listener the listener
	 */
	public void removeLeaseListener(LeaseListener listener) {
		synchronized (this.lifecycleMonitor) {
			if (!this.running) {
				this.leaseListeners.remove(listener);
				return;
			}
			execute(() -> this.leaseListeners.remove(listener));
		}
	}

	/**
	 * Start the session: ask for its lease and wait, at most the request timeout, until it is
	 * granted. When etcd does not answer in time, the application starts anyway and the session
	 * keeps asking in the background.
	 */
	@Override
	public void start() {
		CompletableFuture<Void> firstLease = new CompletableFuture<>();
		synchronized (this.lifecycleMonitor) {
			if (this.running) {
				return;
			}
			ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, CoordinationThreads.daemon("coordination-session"));
			executor.setRemoveOnCancelPolicy(true);
			this.executor = executor;
			this.generation++;
			this.running = true;
			this.firstLease = firstLease;
			execute(() -> {
				// started again after a stop: its first lease is a start, not a renewal after a loss
				this.granted = false;
				grant();
			});
		}
		await(firstLease, this.etcd.getRequestTimeout());
	}

	/**
	 * Stop the session: tell listeners it is closing, then revoke the lease so that whatever it
	 * held is free at once. Bounded by twice the request timeout, however etcd behaves.
	 */
	@Override
	public void stop() {
		ScheduledThreadPoolExecutor executor;
		synchronized (this.lifecycleMonitor) {
			if (!this.running) {
				return;
			}
			this.running = false;
			executor = executor();
		}
		CompletableFuture<Void> closed = new CompletableFuture<>();
		try {
			executor.execute(() -> {
				try {
					close();
				}
				finally {
					closed.complete(null);
				}
			});
			await(closed, this.etcd.getRequestTimeout().multipliedBy(2).plusSeconds(1));
		}
		catch (RejectedExecutionException ex) {
			// already shut down
		}
		finally {
			executor.shutdownNow();
			this.current = null;
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	private void grant() {
		this.grantTask = null;
		if (!this.running) {
			return;
		}
		long sent = System.nanoTime();
		int generation = this.generation;
		Lease leases = this.etcd.getClient().getLeaseClient();
		long timeout = this.etcd.getRequestTimeout().toMillis();
		// a gRPC deadline too: grants queued while etcd is down must not all be applied when it returns
		this.etcd.callAsync("grant session lease", this.etcd.getRequestTimeout(),
				() -> leases.grant(this.ttl.toSeconds(), timeout, TimeUnit.MILLISECONDS))
			.whenComplete((response, failure) -> execute(() -> granted(generation, sent, response, failure)));
	}

	private void granted(int generation, long sent, @Nullable LeaseGrantResponse response,
			@Nullable Throwable failure) {
		if (!this.running || generation != this.generation) {
			// an answer to a grant of a session that was stopped (and maybe started again) since
			if (response != null) {
				revokeQuietly(response.getID());
			}
			return;
		}
		if (failure != null) {
			retryGrant(EtcdExceptionTranslator.translate("grant session lease", failure));
			return;
		}
		Assert.state(response != null, "jetcd completed a lease grant with neither a response nor a failure");
		CurrentLease lease = new CurrentLease(response.getID(), sent,
				sent + TimeUnit.SECONDS.toNanos(response.getTTL()) - this.safetyMargin.toNanos(), Instant.now());
		if (!lease.isValid(System.nanoTime())) {
			// the answer came too late to prove anything: start over with a fresh lease
			revokeQuietly(lease.id());
			retryGrant(new EtcdAccessException("grant session lease", "the grant took longer than TTL - safety margin",
					null));
			return;
		}
		this.current = lease;
		this.lastError = null;
		this.lastErrorWords = null;
		this.backoff.reset();
		boolean renewal = this.granted;
		this.granted = true;
		logger.info((renewal ? "Renewed coordination session with lease " : "Started coordination session with lease ")
				+ EtcdKeys.leaseHex(lease.id()) + " (TTL " + this.ttl.toSeconds() + "s, safety margin "
				+ this.safetyMargin.toMillis() + " ms)");
		this.metrics.granted(renewal);
		// a slow grant leaves less than the whole window: keep two keep-alives before the deadline
		long firstKeepAlive = Math.max(0, Math.min(this.keepAliveIntervalNanos,
				lease.deadlineNanos() - System.nanoTime() - 2 * this.keepAliveIntervalNanos));
		this.keepAliveTask = executor().scheduleWithFixedDelay(() -> keepAlive(lease.id()), firstKeepAlive,
				this.keepAliveIntervalNanos, TimeUnit.NANOSECONDS);
		scheduleDeadlineCheck(lease);
		notifyAll((listener) -> listener.leaseGranted(lease.id(), renewal));
		if (renewal) {
			this.events.publish(new SessionRenewedEvent(this, lease.id()), this.listeners, SessionListener::renewed);
		}
		this.firstLease.complete(null);
	}

	private void retryGrant(EtcdAccessException failure) {
		String previous = this.lastError;
		this.lastError = failure.getMessage();
		this.lastErrorWords = FailureDescription.describe(failure, this.etcd);
		if (previous == null) {
			// after a loss (also one during shutdown) the session is not starting: say what it does
			logger.warn((this.granted ? "Cannot renew the coordination session (grant a new lease): "
					: "Cannot start the coordination session (grant a lease): ") + this.lastErrorWords
					+ "; retrying until etcd answers, elections, locks and the registration wait for it");
			if (logger.isDebugEnabled()) {
				logger.debug("Cannot grant a coordination session lease", failure);
			}
		}
		else if (logger.isDebugEnabled()) {
			logger.debug("Still cannot grant a coordination session lease", failure);
		}
		this.grantTask = executor().schedule(this::grant, this.backoff.nextDelayNanos(), TimeUnit.NANOSECONDS);
	}

	private void keepAlive(long leaseId) {
		CurrentLease lease = this.current;
		if (lease == null || lease.id() != leaseId) {
			return;
		}
		long sent = System.nanoTime();
		Lease leases = this.etcd.getClient().getLeaseClient();
		this.etcd.callAsync("keep-alive session lease " + EtcdKeys.leaseHex(leaseId), this.etcd.getRequestTimeout(),
				() -> leases.keepAliveOnce(leaseId))
			.whenComplete((response, failure) -> execute(() -> acknowledged(leaseId, sent, response, failure)));
	}

	private void acknowledged(long leaseId, long sent, @Nullable LeaseKeepAliveResponse response,
			@Nullable Throwable failure) {
		long now = System.nanoTime();
		this.metrics.keepAlive(Duration.ofNanos(now - sent), failure == null);
		CurrentLease lease = this.current;
		if (lease == null || lease.id() != leaseId) {
			return;
		}
		if (!lease.isValid(now)) {
			// callers were already told "not valid": an answer arriving now cannot undo that
			lost(lease, SessionLossReason.DEADLINE_PASSED);
			return;
		}
		if (failure != null) {
			EtcdAccessException translated = EtcdExceptionTranslator.translate("keep-alive", failure);
			if (translated instanceof EtcdNotFoundException) {
				lost(lease, SessionLossReason.LEASE_GONE);
			}
			else {
				this.lastError = translated.getMessage();
				this.lastErrorWords = FailureDescription.describe(translated, this.etcd);
				if (logger.isDebugEnabled()) {
					logger.debug("Keep-alive of lease " + EtcdKeys.leaseHex(leaseId) + " failed, "
							+ Duration.ofNanos(lease.deadlineNanos() - now).toMillis() + " ms left: "
							+ translated.getMessage());
				}
			}
			return;
		}
		this.lastError = null;
		this.lastErrorWords = null;
		Assert.state(response != null, "jetcd completed a keep-alive with neither a response nor a failure");
		long deadline = sent + TimeUnit.SECONDS.toNanos(response.getTTL()) - this.safetyMargin.toNanos();
		if (deadline - lease.deadlineNanos() > 0) {
			CurrentLease extended = new CurrentLease(lease.id(), sent, deadline, lease.grantedAt());
			this.current = extended;
			scheduleDeadlineCheck(extended);
		}
	}

	private void scheduleDeadlineCheck(CurrentLease lease) {
		cancel(this.deadlineTask);
		this.deadlineTask = executor().schedule(() -> checkDeadline(lease.id()),
				lease.deadlineNanos() - System.nanoTime(), TimeUnit.NANOSECONDS);
	}

	private void checkDeadline(long leaseId) {
		CurrentLease lease = this.current;
		if (lease != null && lease.id() == leaseId && !lease.isValid(System.nanoTime())) {
			lost(lease, SessionLossReason.DEADLINE_PASSED);
		}
	}

	private void lost(CurrentLease lease, SessionLossReason reason) {
		this.current = null;
		this.lastLossReason = reason;
		cancel(this.keepAliveTask);
		cancel(this.deadlineTask);
		logger.warn("Lost coordination session lease " + EtcdKeys.leaseHex(lease.id()) + " ("
				+ ((reason == SessionLossReason.LEASE_GONE) ? "etcd says it is gone"
						: "no keep-alive acknowledged before the safety deadline")
				+ ((this.lastErrorWords != null) ? "; last error: " + this.lastErrorWords : "")
				+ "); telling listeners, then asking for a new lease");
		this.metrics.lost(reason);
		notifyAll((listener) -> listener.leaseLost(lease.id(), reason));
		this.events.publish(new SessionLostEvent(this, lease.id(), reason), this.listeners, SessionListener::lost);
		revokeQuietly(lease.id());
		grant();
	}

	private void close() {
		cancel(this.keepAliveTask);
		cancel(this.deadlineTask);
		cancel(this.grantTask);
		CurrentLease lease = this.current;
		if (lease == null || !lease.isValid(System.nanoTime())) {
			this.current = null;
			return;
		}
		notifyAll((listener) -> listener.leaseClosing(lease.id()));
		this.current = null;
		Lease leases = this.etcd.getClient().getLeaseClient();
		try {
			this.etcd.call("revoke session lease " + EtcdKeys.leaseHex(lease.id()), () -> leases.revoke(lease.id()));
			logger.info("Closed coordination session: revoked lease " + EtcdKeys.leaseHex(lease.id()));
		}
		catch (EtcdAccessException ex) {
			logger.warn("Could not revoke coordination session lease " + EtcdKeys.leaseHex(lease.id())
					+ ": " + FailureDescription.describe(ex, this.etcd) + "; etcd expires it within " + this.ttl.toSeconds() + "s");
			if (logger.isDebugEnabled()) {
				logger.debug("Could not revoke coordination session lease " + EtcdKeys.leaseHex(lease.id()), ex);
			}
		}
	}

	private void revokeQuietly(long leaseId) {
		Lease leases = this.etcd.getClient().getLeaseClient();
		this.etcd.callAsync("revoke lease " + EtcdKeys.leaseHex(leaseId), this.etcd.getRequestTimeout(),
				() -> leases.revoke(leaseId))
			.whenComplete((response, failure) -> {
				if (failure != null && logger.isDebugEnabled()) {
					logger.debug("Could not revoke lost lease " + EtcdKeys.leaseHex(leaseId) + ": " + failure.getMessage());
				}
			});
	}

	private void notifyAll(Consumer<LeaseListener> event) {
		for (LeaseListener listener : this.leaseListeners) {
			notify(listener, event);
		}
	}

	private void notify(LeaseListener listener, Consumer<LeaseListener> event) {
		try {
			event.accept(listener);
		}
		catch (RuntimeException ex) {
			logger.error("Lease listener " + listener + " failed", ex);
		}
	}

	private void execute(Runnable task) {
		try {
			executor().execute(task);
		}
		catch (RejectedExecutionException ex) {
			// the session is stopped: late answers from etcd are of no use
		}
	}

	private ScheduledThreadPoolExecutor executor() {
		ScheduledThreadPoolExecutor executor = this.executor;
		Assert.state(executor != null, "The session's thread is created by start(): the session was never started");
		return executor;
	}

	private static void cancel(@Nullable ScheduledFuture<?> task) {
		if (task != null) {
			task.cancel(false);
		}
	}

	private static void await(CompletableFuture<Void> future, Duration timeout) {
		try {
			future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			// the session goes on in the background
		}
	}

	/**
	 * The lease and what is known about it: immutable, replaced on every change.
	 *
	 * @param id the lease id
	 * @param sentNanos when the request behind the last acknowledgement (or the grant) was sent
	 * @param deadlineNanos {@code sentNanos + TTL - safety margin}
	 * @param grantedAt when the lease was granted, for display
	 */
	private record CurrentLease(long id, long sentNanos, long deadlineNanos, Instant grantedAt) {

		boolean isValid(long now) {
			return now - this.deadlineNanos < 0;
		}

	}

}
