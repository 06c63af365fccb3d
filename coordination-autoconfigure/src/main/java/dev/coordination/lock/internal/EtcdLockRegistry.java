package dev.coordination.lock.internal;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.CoordinationThreads;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.FailureDescription;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedReadWriteLock;
import dev.coordination.lock.DistributedSemaphore;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockHold;
import dev.coordination.lock.LockListener;
import dev.coordination.lock.LockLostEvent;
import dev.coordination.session.SessionLossReason;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.LeaseListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.util.Assert;

/**
 * {@link DistributedLockRegistry} on etcd: one lock, read-write lock or semaphore object per key
 * while anyone uses it, all on the coordination session (no lease per lock).
 * <p>
 * Thread-safe. What is held or awaited is strongly referenced here; an idle object only weakly, so
 * the keys of finished work (an order id per call) do not accumulate. Because the object in use is
 * always the one this registry returns, two threads of this instance never hold two objects of one
 * key. When the session is lost, every hold on it is reported lost to the {@link LockListener}s
 * and, when configured, its holder threads are interrupted. Not supported: two registries on one
 * session, which would both take the session's key of a lock for their own.
 */
public class EtcdLockRegistry implements DistributedLockRegistry, LeaseListener, AutoCloseable {

	private static final Log logger = LogFactory.getLog(EtcdLockRegistry.class);

	private static final int CLEAN_UP_THRESHOLD = 1024;

	private final LockTable<EtcdDistributedLock> locks = new LockTable<>();

	private final LockTable<EtcdReadWriteLock> readWriteLocks = new LockTable<>();

	private final LockTable<EtcdSemaphore> semaphores = new LockTable<>();

	private final Set<RegisteredLock> inUse = ConcurrentHashMap.newKeySet();

	private final List<LockListener> listeners = new CopyOnWriteArrayList<>();

	private final Prefixes prefixes;

	private final SessionKeyQueue queue;

	private final boolean interruptOnLoss;

	private final CoordinationEvents events;

	// the etcd steps of asynchronous holds: few at a time, one per key at most; pooled platform
	// threads, or a new virtual thread each
	private final Executor asyncExecutor;

	private final @Nullable ExecutorService asyncPool;

	// ends the waits of asynchronous holds at their deadline
	private final ScheduledExecutorService timeouts;

	private final LocalLock.DelayedExecutor timer;

	/**
	 * Create a registry and listen to the session, with platform threads for asynchronous holds.
	 * @param prefixes the normalised key prefixes of each kind
	 * @param etcd the etcd access
	 * @param session the session every lock lives on
	 * @param interruptOnLoss whether to interrupt holder threads when their hold is lost
	 * @param events the thread listeners are told on
	 * @param retry how to wait between failed releases
	 */
	public EtcdLockRegistry(Prefixes prefixes, EtcdTemplate etcd, EtcdSession session, boolean interruptOnLoss,
			CoordinationEvents events, RetryPolicy retry) {
		this(prefixes, etcd, session, interruptOnLoss, events, retry, false);
	}

	/**
	 * Create a registry and listen to the session.
	 * @param prefixes the normalised key prefixes of each kind
	 * @param etcd the etcd access
	 * @param session the session every lock lives on
	 * @param interruptOnLoss whether to interrupt holder threads when their hold is lost
	 * @param events the thread listeners are told on
	 * @param retry how to wait between failed releases
	 * @param virtualThreads whether the etcd steps of asynchronous holds run on virtual threads
	 * (Java 21+)
	 */
	public EtcdLockRegistry(Prefixes prefixes, EtcdTemplate etcd, EtcdSession session, boolean interruptOnLoss,
			CoordinationEvents events, RetryPolicy retry, boolean virtualThreads) {
		this.prefixes = prefixes;
		this.queue = new SessionKeyQueue(etcd, session, retry);
		this.interruptOnLoss = interruptOnLoss;
		this.events = events;
		if (virtualThreads) {
			SimpleAsyncTaskExecutor virtual = new SimpleAsyncTaskExecutor("coordination-lock-");
			virtual.setVirtualThreads(true);
			this.asyncExecutor = virtual;
			this.asyncPool = null;
		}
		else {
			ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
					new SynchronousQueue<>(), CoordinationThreads.daemon("coordination-lock"));
			this.asyncExecutor = pool;
			this.asyncPool = pool;
		}
		ScheduledThreadPoolExecutor timeouts = new ScheduledThreadPoolExecutor(1,
				CoordinationThreads.daemon("coordination-lock-timeout"));
		timeouts.setRemoveOnCancelPolicy(true);
		this.timeouts = timeouts;
		this.timer = LocalLock.DelayedExecutor.on(timeouts);
		session.addLeaseListener(this);
	}

	/**
	 * Run a short task after a delay on the registry's timer thread, for example the delayed release
	 * of a hold that must last a minimum time.
	 * @param task what to run; must not block
	 * @param delayNanos the delay
	 */
	void schedule(Runnable task, long delayNanos) {
		this.timeouts.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
	}

	@Override
	public DistributedLock obtain(String key) {
		EtcdKeys.segment("lock key", key);
		return this.locks.obtain(key, (name) -> new EtcdDistributedLock(name, this.prefixes.locks(), this.queue, this))
			.lock();
	}

	@Override
	public CompletableFuture<LockHold> acquireAsync(String key, Duration waitTime) {
		EtcdKeys.segment("lock key", key);
		Assert.isTrue(waitTime != null && !waitTime.isNegative(), () -> "Lock '" + key
				+ "': the wait time must be zero or positive, got " + waitTime);
		return this.locks.obtain(key, (name) -> new EtcdDistributedLock(name, this.prefixes.locks(), this.queue, this))
			.acquireAsync(waitTime);
	}

	Executor asyncExecutor() {
		return this.asyncExecutor;
	}

	LocalLock.DelayedExecutor timer() {
		return this.timer;
	}

	@Override
	public DistributedReadWriteLock readWriteLock(String key) {
		EtcdKeys.segment("read-write lock key", key);
		return this.readWriteLocks.obtain(key,
				(name) -> new EtcdReadWriteLock(name, this.prefixes.readWriteLocks(), this.queue, this));
	}

	@Override
	public DistributedSemaphore semaphore(String key, int permits) {
		EtcdKeys.segment("semaphore key", key);
		if (permits < 1) {
			throw new IllegalArgumentException("Semaphore '" + key + "' needs at least 1 permit, got " + permits);
		}
		EtcdSemaphore semaphore = this.semaphores.obtain(key,
				(name) -> new EtcdSemaphore(name, permits, this.prefixes.semaphores(), this.queue, this));
		if (semaphore.permits() != permits) {
			throw new IllegalArgumentException("Semaphore '" + key + "' is used with " + semaphore.permits()
					+ " permits in this instance, not " + permits + ": every user of a key must ask for the same number");
		}
		return semaphore;
	}


	@Override
	public List<HeldLock> heldLocks() {
		return this.inUse.stream()
			.flatMap((lock) -> lock.held().stream())
			.sorted(Comparator.comparing(HeldLock::key).thenComparing(HeldLock::kind).thenComparingLong(HeldLock::token))
			.toList();
	}

	@Override
	public void addListener(LockListener listener) {
		this.listeners.add(listener);
	}

	@Override
	public void removeListener(LockListener listener) {
		this.listeners.remove(listener);
	}

	void inUse(RegisteredLock lock, boolean inUse) {
		if (inUse) {
			this.inUse.add(lock);
		}
		else {
			this.inUse.remove(lock);
		}
	}

	/**
	 * Delete the keys of releases still on their way (the session has usually done this already, see
	 * {@link #leaseClosing}), then stop retrying releases in the background; the session's lease
	 * takes what is left with it.
	 */
	@Override
	public void close() {
		flushReleases();
		this.timeouts.shutdownNow();
		if (this.asyncPool != null) {
			this.asyncPool.shutdown();
		}
		this.queue.close();
	}

	/**
	 * The session is about to revoke its lease: delete the keys of releases still on their way
	 * first, as a release that waited for them would have.
	 */
	@Override
	public void leaseClosing(long leaseId) {
		flushReleases();
	}

	private void flushReleases() {
		for (RegisteredLock lock : this.inUse) {
			try {
				lock.flushRelease();
			}
			catch (RuntimeException ex) {
				if (FailureDescription.isAvailability(ex)) {
					logger.warn("Could not delete the released key of " + lock + ": " + FailureDescription.describe(ex)
							+ "; it goes with the session lease");
					if (logger.isDebugEnabled()) {
						logger.debug("Could not delete the released key of " + lock, ex);
					}
				}
				else {
					logger.warn("Could not delete the released key of " + lock, ex);
				}
			}
		}
	}

	@Override
	public void leaseLost(long leaseId, SessionLossReason reason) {
		for (RegisteredLock lock : this.inUse) {
			for (HeldLock lost : lock.sessionLost(leaseId, this.interruptOnLoss)) {
				logger.warn(lost.kind() + " '" + lost.key() + "' (token " + lost.token() + ") lost with session lease "
						+ EtcdKeys.leaseHex(leaseId) + " (" + reason + ")");
				this.events.publish(new LockLostEvent(this, lost, reason), this.listeners, LockListener::lost);
			}
		}
	}

	/**
	 * The etcd key prefixes of each kind, normalised (a leading {@code /}, no trailing one). They must
	 * not overlap, or a key of one kind could be taken for a key of another.
	 *
	 * @param locks the prefix of {@link DistributedLock}s, for example {@code /locks}
	 * @param readWriteLocks the prefix of {@link DistributedReadWriteLock}s, for example
	 * {@code /rwlocks}
	 * @param semaphores the prefix of {@link DistributedSemaphore}s, for example {@code /semaphores}
	 */
	public record Prefixes(String locks, String readWriteLocks, String semaphores) {
	}

	/**
	 * Locks of one kind by key, held weakly: a lock nobody references any more is dropped. Dead
	 * entries are swept once the table has doubled since the last sweep, so obtaining a lock costs
	 * the same whether 10 or 10,000 other locks are in use.
	 */
	private static final class LockTable<T> {

		private final ConcurrentHashMap<String, WeakReference<T>> locks = new ConcurrentHashMap<>();

		private final AtomicInteger sweepAt = new AtomicInteger(CLEAN_UP_THRESHOLD);

		T obtain(String key, Function<String, T> factory) {
			while (true) {
				WeakReference<T> reference = this.locks.compute(key,
						(name, existing) -> (existing != null && existing.get() != null) ? existing
								: new WeakReference<>(factory.apply(name)));
				T value = reference.get();
				if (value != null) {
					sweepIfGrown();
					return value;
				}
			}
		}

		private void sweepIfGrown() {
			int threshold = this.sweepAt.get();
			// one thread sweeps; the others go on meanwhile
			if (this.locks.size() > threshold && this.sweepAt.compareAndSet(threshold, Integer.MAX_VALUE)) {
				this.locks.values().removeIf((candidate) -> candidate.get() == null);
				this.sweepAt.set(Math.max(CLEAN_UP_THRESHOLD, 2 * this.locks.size()));
			}
		}

	}

}
