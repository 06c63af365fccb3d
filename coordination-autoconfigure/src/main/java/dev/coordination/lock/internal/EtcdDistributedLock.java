package dev.coordination.lock.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockHold;
import dev.coordination.lock.internal.SessionKeyQueue.Entry;
import org.jspecify.annotations.Nullable;

/**
 * {@link DistributedLock} on the coordination session, with the key layout of etcd's Go
 * {@code concurrency.Mutex}: this instance writes {@code <prefix>/<key>/<leaseHex>} on its session
 * lease, the key with the lowest create revision holds, and a waiter watches only the key just
 * before its own (no herd effect). {@code etcdctl lock} and Go services exclude with it.
 * <p>
 * Threads of this instance queue first on a fair local lock, so etcd sees one waiter per instance,
 * and a hand-off between threads of this instance keeps the etcd key: no round trip, and the
 * fencing token stays that of the instance's hold. A hand-off happens only while a thread of this
 * instance waits or is on its way to wait, and, past the {@link SharedHold hand-off window}, only
 * while no other instance queues behind the key, so that a busy instance does not starve the
 * others. A waiter that times out or is interrupted deletes its own key; a hold kept for a thread
 * that gave up at that moment is released. Guarantees are those of {@link AbstractDistributedLock}.
 * <p>
 * An {@linkplain #acquireAsync asynchronous hold} queues on the same local lock as a future, with no
 * thread waiting; once it is at the head, its etcd round trips run on a thread of the registry's,
 * and it is held by an object of its own instead of a thread.
 * <p>
 * A last release that keeps no key for a thread of this instance ends the hold here at once and
 * deletes the key on a thread of the registry's ({@link #releaseLater}): the caller does not wait
 * for etcd, and other instances stay excluded until the key is gone, as before. Until that delete
 * starts, the next acquisition of this instance takes the key over instead of a round trip
 * ({@link #reuseReleased}): the same key, so the same fencing token, which stays valid for fenced
 * writes because no other instance can have held in between. The delete of a key that was itself
 * taken over starts {@linkplain #REACQUISITION_LINGER_NANOS a little later}, so that a streak of
 * quick re-acquisitions keeps the key. It is taken over on the terms of a
 * hand-off between threads ({@link SharedHold#mayPassOn}), so that another instance queued behind
 * the key gets it within the hand-off window even while this instance keeps re-acquiring.
 */
class EtcdDistributedLock extends RegisteredLock {

	/**
	 * How long the delete of a key that was itself taken over from a release waits before it starts:
	 * an instance that re-acquires in quick succession takes it over again instead of racing the
	 * delete. Another instance waits this much longer, and only after such a streak.
	 */
	static final long REACQUISITION_LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

	private final SessionKeyQueue.Line line;

	private final LocalLock local = new LocalLock();

	private final Exclusive lock = new Exclusive();

	// written by the thread holding the local lock, or under this with the local lock free
	private volatile @Nullable SharedHold ownership;

	private volatile @Nullable Thread holder;

	private volatile @Nullable AsyncHold asyncHolder;

	// the key of a hold that ended here and whose delete has not started yet: whoever takes it first,
	// the delete or the next local holder, owns it; never held by anybody meanwhile
	private final AtomicReference<@Nullable Parked> released = new AtomicReference<>();

	// whether the current hold took a released key over: this instance re-acquires in quick succession
	private volatile boolean reacquiring;

	// completed once the first attempt of the delete that took the released key is over
	private volatile CompletableFuture<@Nullable Void> deleting = CompletableFuture.completedFuture(null);

	EtcdDistributedLock(String key, String lockPrefix, SessionKeyQueue queue, EtcdLockRegistry registry) {
		super("DistributedLock", "lock key", key, lockPrefix, queue, registry);
		this.line = SessionKeyQueue.Line.mutex(keyPrefix());
	}

	/**
	 * The lock users program against.
	 * @return the lock
	 */
	DistributedLock lock() {
		return this.lock;
	}

	@Override
	List<HeldLock> sessionLost(long leaseId, boolean interruptHolders) {
		SharedHold current = this.ownership;
		if (current == null || current.entry().leaseId() != leaseId) {
			return List.of();
		}
		Thread thread = this.holder;
		if (interruptHolders && thread != null) {
			thread.interrupt();
		}
		AsyncHold asyncHold = this.asyncHolder;
		if (interruptHolders && asyncHold != null && asyncHold.entry == current.entry()) {
			asyncHold.interruption.complete(null);
		}
		return List.of(current.entry().held(key(), HeldLock.Kind.LOCK, this.local.getQueueLength()));
	}

	@Override
	List<HeldLock> held() {
		SharedHold current = this.ownership;
		if (current == null || !valid(current.entry())) {
			return List.of();
		}
		return List.of(current.entry().held(key(), HeldLock.Kind.LOCK, this.local.getQueueLength()));
	}

	@Override
	boolean idle() {
		return !this.local.isLocked() && this.ownership == null && this.released.get() == null;
	}

	@Override
	void flushRelease() {
		Parked left = this.released.getAndSet(null);
		if (left != null) {
			queue().release(left.hold().entry());
		}
	}

	/**
	 * The local lock holder's first hold: take over the key a hand-off kept or a release left, or
	 * queue a new one in etcd.
	 * @return whether it holds
	 */
	private boolean takeHold(Deadline deadline) throws InterruptedException {
		SharedHold current;
		synchronized (this) {
			current = this.ownership;
		}
		// a valid hold was kept for this holder by a hand-off: take it over
		if (current != null && valid(current.entry())) {
			return true;
		}
		this.ownership = reuseReleased();
		this.reacquiring = this.ownership != null;
		if (this.reacquiring) {
			return true;
		}
		awaitDeleting(deadline);
		Entry entry = queue().enter(this.line, deadline);
		if (entry == null) {
			return false;
		}
		this.ownership = new SharedHold(entry);
		return true;
	}

	/**
	 * Called by the local lock holder: the key a release left and whose delete has not started, to
	 * hold again, when the hand-off rules allow it (within the window, or no key of another instance
	 * waits behind it). A key that may not be reused is deleted here, before a new one is queued, so
	 * that it does not stand in front of this instance's next key.
	 * @return the key to hold, or {@code null}
	 */
	private @Nullable SharedHold reuseReleased() {
		Parked parked = this.released.getAndSet(null);
		if (parked == null) {
			return null;
		}
		SharedHold left = parked.hold();
		if (valid(left.entry()) && left.mayPassOn(queue(), keyPrefix())) {
			return left;
		}
		queue().release(left.entry());
		return null;
	}

	/**
	 * The last hold of {@code current} ended and no holder of this instance takes it over: delete
	 * the key on a thread of the registry's, unless the next local holder takes it over first. A key
	 * on a lost session went with its lease and is only forgotten.
	 */
	private void releaseLater(SharedHold current) {
		if (!valid(current.entry())) {
			queue().release(current.entry());
			return;
		}
		// a new object each release: the delete of an earlier release of the same key, still pending
		// after a take-over, finds it gone and leaves this one to its own delete
		Parked parked = new Parked(current);
		this.released.set(parked);
		Runnable delete = () -> {
			if (this.released.get() != parked) {
				// taken over meanwhile: its next release deletes it
				return;
			}
			try {
				registry().asyncExecutor().execute(() -> deleteReleased(parked));
			}
			catch (RejectedExecutionException ex) {
				// no thread to run it on (closing): delete here
				deleteReleased(parked);
			}
		};
		try {
			if (this.reacquiring) {
				registry().schedule(delete, REACQUISITION_LINGER_NANOS);
			}
			else {
				delete.run();
			}
		}
		catch (RejectedExecutionException ex) {
			// the timer is closed
			delete.run();
		}
	}

	private void deleteReleased(Parked left) {
		CompletableFuture<@Nullable Void> attempt = new CompletableFuture<>();
		// published before the key is taken: an acquirer that finds no key to reuse finds this
		this.deleting = attempt;
		try {
			if (this.released.compareAndSet(left, null)) {
				// retried in the background while the session lives
				queue().release(left.hold().entry());
			}
		}
		finally {
			attempt.complete(null);
			settle();
		}
	}

	/**
	 * Wait, within the deadline, for the delete of this instance's last key to be tried once: a key
	 * created meanwhile would find the old one under its name and delete it itself, a round trip
	 * more. Correct either way; this only saves the round trip.
	 */
	private void awaitDeleting(Deadline deadline) throws InterruptedException {
		CompletableFuture<@Nullable Void> attempt = this.deleting;
		if (attempt.isDone() || deadline.tryOnce()) {
			return;
		}
		try {
			attempt.get(deadline.leftNanos(), TimeUnit.NANOSECONDS);
		}
		catch (ExecutionException | TimeoutException ex) {
			// queue the key anyway: its create deletes the old key first
		}
	}

	/**
	 * A holder that left the etcd key to a thread of this instance for a hand-off may have done so
	 * just as that thread gave up waiting: then nobody holds the lock here, but the key still holds
	 * it in etcd. Taken from the ownership under the monitor that acquirers read it under, only while
	 * no thread of this instance holds, waits or is on its way to wait; an acquirer that comes later
	 * finds no ownership and queues a key of its own.
	 */
	@Override
	@Nullable Entry takeAbandoned() {
		SharedHold abandoned = this.ownership;
		if (abandoned == null || acquiring() || this.local.isLocked() || this.local.hasQueuedThreads()) {
			return null;
		}
		this.ownership = null;
		return abandoned.entry();
	}

	/**
	 * Acquire without a thread waiting: queue on the local lock as a future, then take the etcd key on
	 * a thread of the registry's, as a thread's first hold does.
	 * @param waitTime how long to wait at most
	 * @return the hold, see {@link dev.coordination.lock.DistributedLockRegistry#acquireAsync}
	 */
	CompletableFuture<LockHold> acquireAsync(Duration waitTime) {
		Deadline deadline = Deadline.after(saturatedNanos(waitTime));
		AsyncHold hold = new AsyncHold();
		CompletableFuture<LockHold> result = new CompletableFuture<>();
		beginAcquisition();
		CompletableFuture<Boolean> local = this.local.lockAsync(hold, deadline, registry().timer());
		result.whenComplete((held, failure) -> {
			if (result.isCancelled()) {
				// waiting locally: give up; taking the etcd key: interrupt it
				local.cancel(false);
				hold.interruptWorker();
			}
		});
		local.whenCompleteAsync((granted, failure) -> {
			if (failure != null || !Boolean.TRUE.equals(granted)) {
				endAcquisition();
				result.completeExceptionally((failure != null && !local.isCancelled()) ? failure
						: notAcquired("Lock '" + key() + "'", waitTime));
				return;
			}
			takeKey(hold, deadline, waitTime, result);
		}, registry().asyncExecutor());
		return result;
	}

	private static long saturatedNanos(Duration duration) {
		try {
			return duration.toNanos();
		}
		catch (ArithmeticException ex) {
			return Long.MAX_VALUE;
		}
	}

	/**
	 * On a thread of the registry's, with the local lock held by {@code hold}: take the etcd key (or
	 * the one a hand-off kept) and complete {@code result}.
	 */
	private void takeKey(AsyncHold hold, Deadline deadline, Duration waitTime, CompletableFuture<LockHold> result) {
		boolean acquired = false;
		Throwable failure = null;
		hold.setWorker(Thread.currentThread());
		try {
			if (!result.isDone()) {
				SharedHold taken = takeHold(deadline) ? this.ownership : null;
				if (taken != null) {
					hold.entry = taken.entry();
					this.asyncHolder = hold;
					acquired = true;
				}
			}
		}
		catch (InterruptedException ex) {
			// cancelled
		}
		catch (RuntimeException ex) {
			failure = ex;
		}
		finally {
			// a pooled thread: no interrupt of this acquisition's cancel may reach its next task
			hold.setWorker(null);
			if (!acquired) {
				this.local.unlock(hold);
			}
			endAcquisition();
		}
		if (acquired) {
			if (!result.complete(hold)) {
				// cancelled at the last moment: nobody will release it
				hold.release();
			}
		}
		else {
			result.completeExceptionally((failure != null) ? failure : notAcquired("Lock '" + key() + "'", waitTime));
		}
	}

	/**
	 * Give up an asynchronous hold, as a thread's last release does, on a thread of the registry's.
	 */
	private void release(AsyncHold hold) {
		Entry entry = hold.entry;
		boolean valid = valid(entry);
		try {
			if (this.asyncHolder == hold) {
				this.asyncHolder = null;
			}
			giveUp(valid);
		}
		catch (RuntimeException ex) {
			hold.released.completeExceptionally(ex);
			return;
		}
		finally {
			this.local.unlock(hold);
			settle();
		}
		if (valid) {
			hold.released.complete(null);
		}
		else {
			hold.released.completeExceptionally(lost(entry));
		}
	}

	/**
	 * Called by the local lock holder as its last hold ends: keep the key for another thread of this
	 * instance that waits for it, or release it.
	 */
	private void giveUp(boolean valid) {
		SharedHold current = this.ownership;
		if (valid && current != null && othersAcquiring() && current.mayPassOn(queue(), keyPrefix())) {
			// a thread of this instance waits: it takes the etcd key over without a round trip
			return;
		}
		// nobody waits here, or other instances have waited long enough: let them in
		this.ownership = null;
		if (current != null) {
			releaseLater(current);
		}
	}

	/**
	 * Whether another thread of this instance waits for the lock or is on its way to: the holder then
	 * keeps the etcd key for it. One that gives up releases the key (see {@link #takeAbandoned()}).
	 */
	private synchronized boolean othersAcquiring() {
		return acquiring() || this.local.hasQueuedThreads();
	}

	/**
	 * The lock of this key as its users see it.
	 */
	private final class Exclusive extends AbstractDistributedLock {

		@Override
		RegisteredLock owner() {
			return EtcdDistributedLock.this;
		}

		@Override
		Lock local() {
			return EtcdDistributedLock.this.local;
		}

		@Override
		int holdCount() {
			return EtcdDistributedLock.this.local.getHoldCount();
		}

		@Override
		@Nullable Entry heldEntry() {
			SharedHold current = EtcdDistributedLock.this.ownership;
			return (EtcdDistributedLock.this.local.isHeldByCurrentThread() && current != null) ? current.entry() : null;
		}

		@Override
		boolean acquireFirst(Deadline deadline) throws InterruptedException {
			if (!takeHold(deadline)) {
				return false;
			}
			EtcdDistributedLock.this.holder = Thread.currentThread();
			return true;
		}

		@Override
		void releaseLast(boolean valid) {
			EtcdDistributedLock.this.holder = null;
			giveUp(valid);
		}

		@Override
		String description() {
			return "Lock '" + key() + "'";
		}

		@Override
		public String toString() {
			return EtcdDistributedLock.this.toString();
		}

	}

	/**
	 * An asynchronous hold: holds the local lock as itself, and the etcd key once taken.
	 */
	private final class AsyncHold implements InterruptibleHold {

		// guards worker: the thread taking the etcd key, interrupted when the acquisition is cancelled
		private final ReentrantLock workerLock = new ReentrantLock();

		private @Nullable Thread worker;

		// completed when the session it lives on is lost and holders are to be interrupted
		final CompletableFuture<@Nullable Void> interruption = new CompletableFuture<>();

		final CompletableFuture<Void> released = new CompletableFuture<>();

		private final AtomicBoolean releasing = new AtomicBoolean();

		volatile @Nullable Entry entry;

		@Override
		public String key() {
			return EtcdDistributedLock.this.key();
		}

		/**
		 * The thread that takes the etcd key now, or {@code null} once it is done: then the interrupt
		 * of a cancel that came too late is cleared.
		 */
		void setWorker(@Nullable Thread thread) {
			this.workerLock.lock();
			try {
				this.worker = thread;
				if (thread == null) {
					Thread.interrupted();
				}
			}
			finally {
				this.workerLock.unlock();
			}
		}

		void interruptWorker() {
			this.workerLock.lock();
			try {
				if (this.worker != null) {
					this.worker.interrupt();
				}
			}
			finally {
				this.workerLock.unlock();
			}
		}

		@Override
		public CompletableFuture<@Nullable Void> interruption() {
			return this.interruption;
		}

		@Override
		public long fencingToken() {
			Entry held = this.entry;
			return (held != null) ? held.token() : 0;
		}

		@Override
		public boolean isValid() {
			return !this.releasing.get() && valid(this.entry);
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			Entry held = this.entry;
			if (held == null || this.releasing.get()) {
				throw new IllegalStateException("The hold of lock '" + key() + "' was released");
			}
			if (!valid(held)) {
				throw lost(held);
			}
			return queue().etcd().fencedWrite(held.key(), held.token(), write);
		}

		@Override
		public CompletableFuture<Void> release() {
			if (this.releasing.compareAndSet(false, true)) {
				try {
					registry().asyncExecutor().execute(() -> EtcdDistributedLock.this.release(this));
				}
				catch (RuntimeException ex) {
					// no thread to run it on: release here
					EtcdDistributedLock.this.release(this);
				}
			}
			return this.released;
		}

		@Override
		public String toString() {
			return "asynchronous hold of " + EtcdDistributedLock.this;
		}

	}

	/**
	 * The key of one release, parked until its delete or the next local holder takes it.
	 *
	 * @param hold the released key
	 */
	private record Parked(SharedHold hold) {
	}

}
