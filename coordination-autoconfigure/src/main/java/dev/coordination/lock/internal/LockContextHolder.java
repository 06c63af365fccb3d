package dev.coordination.lock.internal;

import dev.coordination.lock.DistributedLock;
import org.jspecify.annotations.Nullable;

/**
 * The lock the current thread's {@code @DistributedLocked} method runs under, read by
 * {@link dev.coordination.lock.LockContext}.
 */
public final class LockContextHolder {

	private static final ThreadLocal<@Nullable DistributedLock> current = new ThreadLocal<>();

	private LockContextHolder() {
	}

	/**
	 * The lock of the running method.
	 * @return the lock, or {@code null} outside a {@code @DistributedLocked} method
	 */
	public static @Nullable DistributedLock current() {
		return current.get();
	}

	static @Nullable DistributedLock enter(DistributedLock lock) {
		DistributedLock previous = current.get();
		current.set(lock);
		return previous;
	}

	static void exit(@Nullable DistributedLock previous) {
		if (previous != null) {
			current.set(previous);
		}
		else {
			current.remove();
		}
	}

}
