package dev.coordination.lock.internal;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.LockLostException;
import dev.coordination.lock.internal.SessionKeyQueue.Entry;
import org.jspecify.annotations.Nullable;

/**
 * A {@link DistributedLock} that threads take locally first: the lock, or the read or the write
 * lock of a read-write lock. A thread's first hold takes a local lock and then, unless this instance
 * holds it already, a key in etcd; its re-entries and its last release are handled here.
 * <p>
 * Contract for every kind: {@link #isHeldByCurrentThread()} and the fencing token answer from
 * memory and never for a hold on a lease that is not provably alive; a re-entry on a lost hold and
 * every release of a lost hold throw {@link LockLostException}, after the local lock was let go of;
 * an interrupt while waiting is an {@link InterruptedException} ({@link #lock()} waits on and keeps
 * the interrupt); the local lock is never kept by an acquisition that failed.
 */
abstract class AbstractDistributedLock implements DistributedLock {

	/**
	 * The lock, read-write lock or semaphore this belongs to.
	 * @return the owner
	 */
	abstract RegisteredLock owner();

	/**
	 * The local lock threads of this instance take first.
	 * @return the local lock
	 */
	abstract Lock local();

	/**
	 * How often the current thread holds {@link #local()}.
	 * @return the hold count
	 */
	abstract int holdCount();

	/**
	 * The etcd key the current thread holds through this lock, valid or not.
	 * @return the key, or {@code null} when the current thread does not hold this lock
	 */
	abstract @Nullable Entry heldEntry();

	/**
	 * A first hold of the current thread, which holds {@link #local()} once: take what it needs in
	 * etcd, within the deadline.
	 * @param deadline when to give up
	 * @return whether it was acquired
	 * @throws InterruptedException when interrupted while waiting
	 */
	abstract boolean acquireFirst(Deadline deadline) throws InterruptedException;

	/**
	 * The current thread's last hold ends, before it lets go of {@link #local()}: hand the key on or
	 * give it up. A lost hold is only forgotten.
	 * @param valid whether the hold was still valid
	 */
	abstract void releaseLast(boolean valid);

	/**
	 * What this lock is, for messages: {@code Lock 'orders/42'}.
	 * @return the description
	 */
	abstract String description();

	@Override
	public String key() {
		return owner().key();
	}

	/**
	 * Acquire the lock, waiting at most {@code timeoutNanos}; {@code 0} tries once,
	 * {@code Long.MAX_VALUE} waits as long as it takes.
	 * @return whether the lock was acquired
	 * @throws InterruptedException when interrupted while waiting
	 * @throws LockLostException when the current thread re-enters a hold that was lost
	 */
	final boolean acquire(long timeoutNanos) throws InterruptedException {
		Deadline deadline = Deadline.after(timeoutNanos);
		RegisteredLock owner = owner();
		return owner.acquisition(() -> {
			if (!deadline.tryLock(local())) {
				return false;
			}
			boolean acquired = false;
			try {
				if (holdCount() > 1) {
					// a re-entry needs no etcd, but never extends a lost hold
					Entry held = heldEntry();
					if (!owner.valid(held)) {
						throw owner.lost(held);
					}
					acquired = true;
				}
				else {
					acquired = acquireFirst(deadline);
				}
				return acquired;
			}
			finally {
				if (!acquired) {
					local().unlock();
				}
			}
		});
	}

	@Override
	public final void unlock() {
		int holds = holdCount();
		if (holds == 0) {
			throw new IllegalMonitorStateException(description() + " is not held by the current thread");
		}
		RegisteredLock owner = owner();
		Entry held = heldEntry();
		boolean valid = owner.valid(held);
		if (holds > 1) {
			local().unlock();
		}
		else {
			try {
				releaseLast(valid);
			}
			finally {
				local().unlock();
				// a waiter the key was kept for may have given up meanwhile
				owner.settle();
			}
		}
		if (!valid) {
			throw owner.lost(held);
		}
	}

	@Override
	public final boolean isHeldByCurrentThread() {
		return owner().valid(heldEntry());
	}

	@Override
	public final OptionalLong fencingToken() {
		Entry held = heldEntry();
		return owner().valid(held) ? OptionalLong.of(held.token()) : OptionalLong.empty();
	}

	@Override
	public final WriteResult fencedWrite(FencedWrite write) {
		Entry held = heldEntry();
		if (held == null) {
			throw new IllegalMonitorStateException(description() + " is not held by the current thread");
		}
		if (!owner().valid(held)) {
			throw owner().lost(held);
		}
		return owner().queue().etcd().fencedWrite(held.key(), held.token(), write);
	}

	@Override
	public final void lock() {
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
	public final void lockInterruptibly() throws InterruptedException {
		acquire(Long.MAX_VALUE);
	}

	@Override
	public final boolean tryLock() {
		try {
			return acquire(0);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	@Override
	public final boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
		return acquire(unit.toNanos(time));
	}

	@Override
	public final <T extends @Nullable Object> T executeLocked(Duration waitTime, LockedTask<T> task) throws Exception {
		if (!tryLock(waitTime.toNanos(), TimeUnit.NANOSECONDS)) {
			throw owner().notAcquired(description(), waitTime);
		}
		try {
			return task.run();
		}
		finally {
			unlock();
		}
	}

	@Override
	public final Condition newCondition() {
		throw new UnsupportedOperationException("Distributed locks have no conditions");
	}

	@Override
	public String toString() {
		return description() + " (" + owner().keyPrefix() + ")";
	}

}
