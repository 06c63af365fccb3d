package dev.coordination.lock.internal;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.LockNotAcquiredException;

/**
 * The parts of a {@link DistributedLock} that every kind shares: the {@code Lock} methods on top of
 * one timed acquisition, and the helpers.
 */
abstract class AbstractDistributedLock implements DistributedLock {

	/**
	 * Acquire the lock, waiting at most {@code timeoutNanos}; {@code 0} tries once,
	 * {@code Long.MAX_VALUE} waits as long as it takes.
	 * @return whether the lock was acquired
	 * @throws InterruptedException when interrupted while waiting
	 */
	abstract boolean acquire(long timeoutNanos) throws InterruptedException;

	/**
	 * What this lock is, for messages: {@code Lock 'orders/42'}.
	 * @return the description
	 */
	abstract String description();

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
		try {
			return acquire(0);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	@Override
	public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
		return acquire(unit.toNanos(time));
	}

	@Override
	public <T> T executeLocked(Duration waitTime, LockedTask<T> task) throws Exception {
		if (!tryLock(waitTime.toNanos(), TimeUnit.NANOSECONDS)) {
			throw new LockNotAcquiredException(key(),
					description() + " was not acquired within " + waitTime.toMillis() + " ms");
		}
		try {
			return task.run();
		}
		finally {
			unlock();
		}
	}

	@Override
	public Condition newCondition() {
		throw new UnsupportedOperationException("Distributed locks have no conditions");
	}

}
