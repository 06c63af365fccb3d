package dev.coordination.lock.internal;

import java.util.concurrent.TimeUnit;

import dev.coordination.lock.internal.SessionKeyQueue.Entry;

/**
 * A key of this instance that holds in etcd and that threads of this instance pass among
 * themselves without a round trip: a lock handed from one thread to the next, a read key that new
 * readers join.
 * <p>
 * Passing it on for ever would starve the other instances. So within
 * {@link #HAND_OFF_WINDOW_NANOS} of its creation, or of the last look, it is passed on without
 * asking etcd; after that only when no key that waits behind it was created since, and a new
 * window begins. Thread-safe.
 */
class SharedHold {

	/**
	 * How long threads of this instance may pass a key among themselves before this instance looks
	 * whether another instance waits behind it; if one does, the key is given up at the next chance.
	 */
	static final long HAND_OFF_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	private final Entry entry;

	private volatile long windowStart = System.nanoTime();

	SharedHold(Entry entry) {
		this.entry = entry;
	}

	Entry entry() {
		return this.entry;
	}

	/**
	 * Whether the key may be passed on without asking etcd.
	 * @return {@code true} within the window
	 */
	boolean isWindowOpen() {
		return System.nanoTime() - this.windowStart < HAND_OFF_WINDOW_NANOS;
	}

	/**
	 * Whether the key may be passed on to another thread of this instance: within the window
	 * without asking; after it, when no key of {@code behind} was created after it, and then a new
	 * window begins. A question etcd does not answer counts as a key waiting.
	 * @param queue the line the key was created in
	 * @param behind the prefix of the keys that would wait behind it, ending with {@code /}
	 * @return {@code true} when it may be passed on
	 */
	boolean mayPassOn(SessionKeyQueue queue, String behind) {
		if (isWindowOpen()) {
			return true;
		}
		if (queue.waitsBehind(this.entry, behind)) {
			return false;
		}
		this.windowStart = System.nanoTime();
		return true;
	}

}
