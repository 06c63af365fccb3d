package dev.coordination.lock.internal;

import java.util.OptionalLong;

import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.LockHold;
import org.jspecify.annotations.Nullable;

/**
 * The lock the current thread's {@code @DistributedLocked} method runs under, read by
 * {@link dev.coordination.lock.LockContext}: a thread's {@link DistributedLock}, or the
 * {@link LockHold} of a method that returns a {@code CompletionStage} or a reactive type, while the
 * method itself runs.
 */
public final class LockContextHolder {

	private static final ThreadLocal<@Nullable Object> current = new ThreadLocal<>();

	private LockContextHolder() {
	}

	/**
	 * The thread's lock of the running method.
	 * @return the lock, or {@code null} outside a {@code @DistributedLocked} method or in one that
	 * holds its lock asynchronously
	 */
	public static @Nullable DistributedLock current() {
		return (current.get() instanceof DistributedLock lock) ? lock : null;
	}

	/**
	 * The asynchronous hold of the running method.
	 * @return the hold, or {@code null} outside a {@code @DistributedLocked} method that returns a
	 * {@code CompletionStage} or a reactive type
	 */
	public static @Nullable LockHold currentHold() {
		return (current.get() instanceof LockHold hold) ? hold : null;
	}

	/**
	 * The fencing token of the running method's lock or hold.
	 * @return the token, empty outside a {@code @DistributedLocked} method or when it was lost
	 */
	public static OptionalLong currentToken() {
		Object held = current.get();
		if (held instanceof DistributedLock lock) {
			return lock.fencingToken();
		}
		if (held instanceof LockHold hold && hold.isValid()) {
			return OptionalLong.of(hold.fencingToken());
		}
		return OptionalLong.empty();
	}

	static @Nullable Object enter(Object lockOrHold) {
		Object previous = current.get();
		current.set(lockOrHold);
		return previous;
	}

	static void exit(@Nullable Object previous) {
		if (previous != null) {
			current.set(previous);
		}
		else {
			current.remove();
		}
	}

}
