package dev.coordination.lock;

import java.util.OptionalLong;

import dev.coordination.lock.internal.LockContextHolder;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link DistributedLocked} method can learn about the lock it runs under.
 * <p>
 * Answers for the current thread, from memory, and only inside a {@code @DistributedLocked}
 * method: nested methods see the innermost lock.
 */
public final class LockContext {

	private LockContext() {
	}

	/**
	 * Fencing token of the lock the current {@code @DistributedLocked} method runs under.
	 * @return the token, empty outside such a method or when the lock was lost
	 */
	public static OptionalLong currentToken() {
		return LockContextHolder.currentToken();
	}

	/**
	 * The lock the current {@code @DistributedLocked} method runs under.
	 * @return the lock, or {@code null} outside such a method
	 */
	public static @Nullable DistributedLock currentLock() {
		return LockContextHolder.current();
	}

	/**
	 * The hold the current {@code @DistributedLocked} method runs under when it returns a
	 * {@code CompletionStage} or a reactive type: known while the method itself runs, so keep it for
	 * the stages it starts (reactive code finds it in the Reactor context too, see
	 * {@link ReactiveLocks#currentHold()}). The lock is held until the returned stage completes or the
	 * returned publisher terminates or is cancelled.
	 * @return the hold, or {@code null} outside such a method
	 */
	public static @Nullable LockHold currentHold() {
		return LockContextHolder.currentHold();
	}


}
