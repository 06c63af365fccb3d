package dev.coordination.lock;

import java.util.OptionalLong;

/**
 * What a {@link DistributedLocked} method can learn about the lock it runs under.
 */
public final class LockContext {

	private static final ThreadLocal<DistributedLock> current = new ThreadLocal<>();

	private LockContext() {
	}

	/**
	 * Fencing token of the lock the current {@code @DistributedLocked} method runs under.
	 * @return the token, empty outside such a method or when the lock was lost
	 */
	public static OptionalLong currentToken() {
		DistributedLock lock = current.get();
		return (lock != null) ? lock.fencingToken() : OptionalLong.empty();
	}

	/**
	 * The lock the current {@code @DistributedLocked} method runs under.
	 * @return the lock, or {@code null} outside such a method
	 */
	public static DistributedLock currentLock() {
		return current.get();
	}

	static DistributedLock enter(DistributedLock lock) {
		DistributedLock previous = current.get();
		current.set(lock);
		return previous;
	}

	static void exit(DistributedLock previous) {
		if (previous != null) {
			current.set(previous);
		}
		else {
			current.remove();
		}
	}

}
