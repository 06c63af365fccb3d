package dev.coordination.lock.internal;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import org.jspecify.annotations.Nullable;

/**
 * The local lock of a {@link EtcdDistributedLock}: the threads and the asynchronous holds of this
 * instance take it, in the order they come, before the etcd key. A thread holds it reentrantly and
 * waits by parking, so a virtual thread waiting for it never holds on to its carrier; an
 * asynchronous hold waits as a future, without any thread. On release it goes straight to the
 * longest waiter.
 * <p>
 * {@link #tryLock()} takes a free lock even when others wait, as {@link ReentrantLock#tryLock()}
 * does; since the lock goes straight from holder to waiter, it is free with waiters only while
 * they are giving up.
 */
final class LocalLock implements Lock {

	// guards the fields below; never held while waiting
	private final ReentrantLock state = new ReentrantLock();

	private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

	// a Thread, or an asynchronous hold's owner object
	private @Nullable Object owner;

	private int holds;

	@Override
	public void lock() {
		boolean interrupted = false;
		while (true) {
			try {
				acquire(Long.MAX_VALUE);
				break;
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void lockInterruptibly() throws InterruptedException {
		acquire(Long.MAX_VALUE);
	}

	@Override
	public boolean tryLock() {
		Thread current = Thread.currentThread();
		this.state.lock();
		try {
			if (this.owner == current) {
				this.holds++;
				return true;
			}
			if (this.owner == null) {
				this.owner = current;
				this.holds = 1;
				return true;
			}
			return false;
		}
		finally {
			this.state.unlock();
		}
	}

	@Override
	public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
		return acquire(Math.max(0, unit.toNanos(time)));
	}

	private boolean acquire(long timeoutNanos) throws InterruptedException {
		if (Thread.interrupted()) {
			throw new InterruptedException();
		}
		Thread current = Thread.currentThread();
		ThreadWaiter waiter;
		this.state.lock();
		try {
			if (this.owner == current) {
				this.holds++;
				return true;
			}
			if (this.owner == null && this.waiters.isEmpty()) {
				this.owner = current;
				this.holds = 1;
				return true;
			}
			if (timeoutNanos == 0) {
				return false;
			}
			waiter = new ThreadWaiter(current);
			this.waiters.add(waiter);
		}
		finally {
			this.state.unlock();
		}
		long deadline = System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 2);
		boolean forever = timeoutNanos == Long.MAX_VALUE;
		while (!waiter.granted) {
			if (Thread.interrupted()) {
				if (giveUp(waiter)) {
					throw new InterruptedException();
				}
				// granted meanwhile: keep it, and the interrupt for the caller to see
				current.interrupt();
				return true;
			}
			long left = deadline - System.nanoTime();
			if (!forever && left <= 0) {
				return !giveUp(waiter);
			}
			if (forever) {
				LockSupport.park(this);
			}
			else {
				LockSupport.parkNanos(this, left);
			}
		}
		return true;
	}

	/**
	 * Take the lock for an asynchronous hold, without a thread waiting.
	 * @param holder what holds it: an object of the caller's, passed to {@link #unlock(Object)}
	 * @param deadline when to give up
	 * @param timer what runs the give-up at the deadline
	 * @return a future that completes with {@code true} once {@code holder} holds the lock, or
	 * {@code false} at the deadline; cancelling it gives up waiting, and releases a lock granted at
	 * that moment
	 */
	CompletableFuture<Boolean> lockAsync(Object holder, Deadline deadline, DelayedExecutor timer) {
		AsyncWaiter waiter = new AsyncWaiter(holder);
		this.state.lock();
		try {
			if (this.owner == null && this.waiters.isEmpty()) {
				this.owner = holder;
				this.holds = 1;
				return CompletableFuture.completedFuture(true);
			}
			if (deadline.tryOnce()) {
				return CompletableFuture.completedFuture(false);
			}
			this.waiters.add(waiter);
		}
		finally {
			this.state.unlock();
		}
		Runnable cancelTimeout = timer.schedule(() -> {
			if (giveUp(waiter)) {
				waiter.future.complete(false);
			}
		}, deadline.leftNanos());
		waiter.future.whenComplete((granted, failure) -> {
			// a long wait that ended early must not keep its timeout (and the waiter) scheduled
			cancelTimeout.run();
			if (waiter.future.isCancelled() && !giveUp(waiter)) {
				unlock(holder);
			}
		});
		return waiter.future;
	}

	/**
	 * Remove a waiter that was not granted the lock.
	 * @return {@code false} when it was granted the lock meanwhile
	 */
	private boolean giveUp(Waiter waiter) {
		this.state.lock();
		try {
			if (waiter.granted) {
				return false;
			}
			this.waiters.remove(waiter);
			return true;
		}
		finally {
			this.state.unlock();
		}
	}

	@Override
	public void unlock() {
		unlock(Thread.currentThread());
	}

	/**
	 * Release a hold of {@code holder}: the current thread, or an asynchronous hold's owner object.
	 * @param holder the holder
	 * @throws IllegalMonitorStateException when {@code holder} does not hold the lock
	 */
	void unlock(Object holder) {
		Waiter next;
		this.state.lock();
		try {
			if (this.owner != holder) {
				throw new IllegalMonitorStateException("The local lock is not held by " + holder);
			}
			if (--this.holds > 0) {
				return;
			}
			next = this.waiters.poll();
			this.owner = (next != null) ? next.holder() : null;
			this.holds = (next != null) ? 1 : 0;
			if (next != null) {
				next.granted = true;
			}
		}
		finally {
			this.state.unlock();
		}
		if (next != null) {
			next.granted();
		}
	}

	/**
	 * Whether the current thread holds the lock.
	 * @return {@code true} when it does
	 */
	boolean isHeldByCurrentThread() {
		return isHeldBy(Thread.currentThread());
	}

	/**
	 * Whether {@code holder} holds the lock.
	 * @param holder a thread or an asynchronous hold's owner object
	 * @return {@code true} when it does
	 */
	boolean isHeldBy(Object holder) {
		this.state.lock();
		try {
			return this.owner == holder;
		}
		finally {
			this.state.unlock();
		}
	}

	/**
	 * How often the current thread holds the lock.
	 * @return the count, {@code 0} when it does not hold it
	 */
	int getHoldCount() {
		this.state.lock();
		try {
			return (this.owner == Thread.currentThread()) ? this.holds : 0;
		}
		finally {
			this.state.unlock();
		}
	}

	/**
	 * Whether anything holds the lock.
	 * @return {@code true} when a thread or an asynchronous hold does
	 */
	boolean isLocked() {
		this.state.lock();
		try {
			return this.owner != null;
		}
		finally {
			this.state.unlock();
		}
	}

	/**
	 * How many threads and asynchronous holds wait for the lock.
	 * @return the number
	 */
	int getQueueLength() {
		this.state.lock();
		try {
			return this.waiters.size();
		}
		finally {
			this.state.unlock();
		}
	}

	/**
	 * Whether any thread or asynchronous hold waits for the lock.
	 * @return {@code true} when one does
	 */
	boolean hasQueuedThreads() {
		return getQueueLength() > 0;
	}

	@Override
	public Condition newCondition() {
		throw new UnsupportedOperationException("A distributed lock has no conditions");
	}

	/**
	 * Runs a task after a delay, for the deadlines of asynchronous waiters.
	 */
	@FunctionalInterface
	interface DelayedExecutor {

		/**
		 * Run {@code task} after {@code delayNanos}.
		 * @param task the task
		 * @param delayNanos the delay
		 * @return what cancels the task if it has not run yet
		 */
		Runnable schedule(Runnable task, long delayNanos);

		/**
		 * A delayed executor on a scheduled executor that removes cancelled tasks.
		 * @param executor the scheduled executor
		 * @return the delayed executor
		 */
		static DelayedExecutor on(ScheduledExecutorService executor) {
			return (task, delayNanos) -> {
				try {
					ScheduledFuture<?> scheduled = executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
					return () -> scheduled.cancel(false);
				}
				catch (RejectedExecutionException ex) {
					// shut down: the waiter waits until it is granted or cancelled
					return () -> {
					};
				}
			};
		}

	}

	private abstract static sealed class Waiter permits ThreadWaiter, AsyncWaiter {

		// guarded by state; read without it by the waiting thread, which parks until it is set
		volatile boolean granted;

		abstract Object holder();

		/**
		 * Tell the waiter it holds the lock; called without the state lock.
		 */
		abstract void granted();

	}

	private static final class ThreadWaiter extends Waiter {

		private final Thread thread;

		ThreadWaiter(Thread thread) {
			this.thread = thread;
		}

		@Override
		Object holder() {
			return this.thread;
		}

		@Override
		void granted() {
			LockSupport.unpark(this.thread);
		}

	}

	private static final class AsyncWaiter extends Waiter {

		private final Object holder;

		private final CompletableFuture<Boolean> future = new CompletableFuture<>();

		AsyncWaiter(Object holder) {
			this.holder = holder;
		}

		@Override
		Object holder() {
			return this.holder;
		}

		@Override
		void granted() {
			// a future cancelled at this moment: its cancel handler releases the lock
			this.future.complete(true);
		}

	}

}
