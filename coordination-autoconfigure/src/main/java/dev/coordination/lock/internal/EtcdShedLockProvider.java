package dev.coordination.lock.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.LockHold;
import dev.coordination.lock.LockNotAcquiredException;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.jspecify.annotations.Nullable;

/**
 * A ShedLock {@link LockProvider} over the {@link DistributedLockRegistry}: a ShedLock lock name is
 * the key of the lock, so {@code @SchedulerLock(name = "report")} and
 * {@code @DistributedLocked("report")} exclude each other.
 * <p>
 * {@link #lock} tries once, without waiting, and answers empty when another instance (or another
 * task of this one) holds the lock. A hold has no lease of its own: it lives on the instance's
 * session lease, and is lost with it, as every hold of the registry. Its fencing token is
 * {@link dev.coordination.lock.LockContext#currentToken()} on the thread that took it until it is
 * unlocked (ShedLock runs the task on that thread). The hold is released
 * {@code lockAtMostFor} after its creation even if the task still runs, and an earlier
 * {@link SimpleLock#unlock()} keeps it until {@code lockAtLeastFor} after its creation has passed:
 * both by a scheduled release on one daemon thread, never a sleeping caller.
 * <p>
 * Thread-safe. Not guaranteed: exclusion beyond the session's (a hold lost with the session is
 * reported to the lock listeners; the task keeps running unless interrupt-on-loss applies to it,
 * which it does not for ShedLock's holds).
 */
public final class EtcdShedLockProvider implements LockProvider, AutoCloseable {

	private final DistributedLockRegistry registry;

	private final Duration acquireTimeout;

	private final ScheduledThreadPoolExecutor scheduler;

	/**
	 * Create a provider.
	 * @param registry the registry whose locks it takes
	 * @param acquireTimeout bound on one acquisition attempt (the etcd round trips of trying once)
	 */
	public EtcdShedLockProvider(DistributedLockRegistry registry, Duration acquireTimeout) {
		this.registry = registry;
		this.acquireTimeout = acquireTimeout;
		this.scheduler = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "coordination-shedlock");
			thread.setDaemon(true);
			return thread;
		});
		this.scheduler.setRemoveOnCancelPolicy(true);
	}

	@Override
	public Optional<SimpleLock> lock(LockConfiguration configuration) {
		String name = configuration.getName();
		if (name == null || name.isEmpty()) {
			throw new IllegalArgumentException("A ShedLock lock name must not be empty: it is the key of the lock");
		}
		CompletableFuture<LockHold> acquisition = this.registry.acquireAsync(name, Duration.ZERO);
		LockHold hold;
		try {
			hold = acquisition.get(this.acquireTimeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			if (!acquisition.cancel(false)) {
				acquisition.thenAccept(LockHold::release);
			}
			Thread.currentThread().interrupt();
			return Optional.empty();
		}
		catch (TimeoutException | CancellationException ex) {
			if (!acquisition.cancel(false)) {
				// acquired just now: nobody will use it
				acquisition.thenAccept(LockHold::release);
			}
			return Optional.empty();
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof LockNotAcquiredException) {
				return Optional.empty();
			}
			if (ex.getCause() instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new IllegalStateException("Could not take the lock '" + name + "'", ex.getCause());
		}
		ShedLockHold lock = new ShedLockHold(hold, Thread.currentThread(), LockContextHolder.enter(hold));
		lock.schedule(configuration.getLockAtMostUntil(), configuration.getLockAtLeastUntil());
		return Optional.of(lock);
	}

	@Override
	public void close() {
		this.scheduler.shutdownNow();
	}

	private static long millisUntil(Instant instant) {
		return Math.max(0, Duration.between(ClockProvider.now(), instant).toMillis());
	}

	/**
	 * One ShedLock lock over one {@link LockHold}; an extension hands the hold on to a new instance.
	 */
	private final class ShedLockHold implements SimpleLock {

		private final LockHold hold;

		private final Thread thread;

		private final @Nullable Object previousContext;

		// HELD until the first of unlock, extend and the lockAtMostFor release: only that one acts
		private final AtomicReference<State> state = new AtomicReference<>(State.HELD);

		private volatile Instant atLeastUntil = Instant.EPOCH;

		private volatile @Nullable ScheduledFuture<?> atMostRelease;

		ShedLockHold(LockHold hold, Thread thread, @Nullable Object previousContext) {
			this.hold = hold;
			this.thread = thread;
			this.previousContext = previousContext;
		}

		void schedule(Instant atMostUntil, Instant atLeastUntil) {
			this.atLeastUntil = atLeastUntil;
			this.atMostRelease = EtcdShedLockProvider.this.scheduler.schedule(this::releaseAtMost,
					millisUntil(atMostUntil), TimeUnit.MILLISECONDS);
		}

		@Override
		public void unlock() {
			if (!this.state.compareAndSet(State.HELD, State.ENDED)) {
				if (this.state.compareAndSet(State.RELEASED_AT_MOST, State.ENDED)) {
					// lockAtMostFor released it while the job ran: only the job's context is left
					exitContext();
					return;
				}
				throw new IllegalStateException("The lock '" + this.hold.key() + "' was already unlocked or extended");
			}
			exitContext();
			cancelAtMost();
			long delay = millisUntil(this.atLeastUntil);
			if (delay == 0) {
				releaseNow();
			}
			else {
				EtcdShedLockProvider.this.scheduler.schedule(this::releaseNow, delay, TimeUnit.MILLISECONDS);
			}
		}

		@Override
		public Optional<SimpleLock> extend(Duration lockAtMostFor, Duration lockAtLeastFor) {
			if (!this.hold.isValid() || !this.state.compareAndSet(State.HELD, State.ENDED)) {
				return Optional.empty();
			}
			cancelAtMost();
			Instant now = ClockProvider.now();
			ShedLockHold extended = new ShedLockHold(this.hold, this.thread, this.previousContext);
			extended.schedule(now.plus(lockAtMostFor), now.plus(lockAtLeastFor));
			return Optional.of(extended);
		}

		private void cancelAtMost() {
			ScheduledFuture<?> task = this.atMostRelease;
			if (task != null) {
				task.cancel(false);
			}
		}

		private void exitContext() {
			if (Thread.currentThread() == this.thread && LockContextHolder.currentHold() == this.hold) {
				LockContextHolder.exit(this.previousContext);
			}
		}

		private void releaseAtMost() {
			if (this.state.compareAndSet(State.HELD, State.RELEASED_AT_MOST)) {
				releaseNow();
			}
		}

		private void releaseNow() {
			// a hold lost with the session fails its release with LockLostException: already reported to the listeners
			this.hold.release().exceptionally((ex) -> null);
		}

	}

	private enum State {

		HELD, RELEASED_AT_MOST, ENDED

	}

}
