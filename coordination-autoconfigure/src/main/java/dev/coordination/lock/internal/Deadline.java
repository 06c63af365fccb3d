package dev.coordination.lock.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

/**
 * When an acquisition gives up: an instant on {@link System#nanoTime()}'s scale, and whether it is
 * a single try. Immutable.
 *
 * @param nanos the instant, on {@link System#nanoTime()}'s scale
 * @param tryOnce whether the acquisition tries once and does not wait at all
 */
record Deadline(long nanos, boolean tryOnce) {

	/**
	 * The deadline of an acquisition that may wait {@code timeoutNanos}: {@code 0} tries once,
	 * {@code Long.MAX_VALUE} waits as long as it takes.
	 * @param timeoutNanos how long it may wait
	 * @return the deadline
	 */
	static Deadline after(long timeoutNanos) {
		return new Deadline(System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 2), timeoutNanos == 0);
	}

	/**
	 * How long is left.
	 * @return the nanoseconds left, never negative
	 */
	long leftNanos() {
		return Math.max(0, this.nanos - System.nanoTime());
	}

	/**
	 * Whether the deadline has passed.
	 * @return {@code true} when no time is left
	 */
	boolean passed() {
		return this.nanos - System.nanoTime() <= 0;
	}

	/**
	 * Take a local lock before the deadline: a single try barges in as {@link Lock#tryLock()} does,
	 * any other waits its turn on a fair lock, however little time is left.
	 * @param lock the lock
	 * @return whether it was taken
	 * @throws InterruptedException when interrupted while waiting
	 */
	boolean tryLock(Lock lock) throws InterruptedException {
		return this.tryOnce ? lock.tryLock() : lock.tryLock(Math.max(1, leftNanos()), TimeUnit.NANOSECONDS);
	}

}
