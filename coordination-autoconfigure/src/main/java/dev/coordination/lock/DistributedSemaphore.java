package dev.coordination.lock;

import java.time.Duration;
import java.util.Optional;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import org.jspecify.annotations.Nullable;

/**
 * A counting semaphore shared by every instance of the application: at most {@link #permits()}
 * permits are held at once, across all instances and threads. Every instance must use the same
 * number of permits for a key.
 * <p>
 * Each permit is one etcd key under {@code <prefix>/<key>/} on the session lease; a permit is held
 * while fewer than {@code permits} keys were created before it. A lost session loses its permits:
 * {@link Permit#isValid()} turns false at once, and {@link Permit#release()} throws
 * {@link LockLostException}. Threads of one instance queue locally first, so etcd sees one waiter
 * per instance.
 */
public interface DistributedSemaphore {

	/**
	 * The key of this semaphore.
	 * @return the key
	 */
	String key();

	/**
	 * How many permits may be held at once.
	 * @return the number of permits
	 */
	int permits();

	/**
	 * Acquire a permit, waiting as long as it takes.
	 * @return the permit
	 * @throws InterruptedException when interrupted while waiting
	 */
	Permit acquire() throws InterruptedException;

	/**
	 * Acquire a permit, waiting at most {@code waitTime}.
	 * @param waitTime how long to wait; zero tries once
	 * @return the permit, or empty when none was acquired in time
	 * @throws InterruptedException when interrupted while waiting
	 */
	Optional<Permit> tryAcquire(Duration waitTime) throws InterruptedException;

	/**
	 * Run {@code task} holding a permit, waiting for it at most {@code waitTime}.
	 * @param <T> the result type
	 * @param waitTime how long to wait; zero tries once
	 * @param task what to run
	 * @return the task's result
	 * @throws LockNotAcquiredException when no permit was acquired in time
	 * @throws InterruptedException when interrupted while waiting
	 * @throws Exception what the task threw
	 */
	<T extends @Nullable Object> T executeWithPermit(Duration waitTime, DistributedLock.LockedTask<T> task)
			throws Exception;

	/**
	 * Permits free now, read from etcd (one request).
	 * @return the number of free permits, never negative
	 */
	int availablePermits();

	/**
	 * A held permit. Release it exactly once, from any thread; {@link #close()} releases it.
	 */
	interface Permit extends AutoCloseable {

		/**
		 * The fencing token of this permit: the create revision of its key.
		 * @return the token
		 */
		long token();

		/**
		 * Whether the permit is held and the session it was acquired on is provably alive.
		 * @return {@code true} when valid
		 */
		boolean isValid();

		/**
		 * Write to etcd only while this permit still exists there, compared with its
		 * {@linkplain #token() fencing token} in the same transaction.
		 * @param write the puts and deletes, and conditions of the caller's own
		 * @return whether it was applied, and whether the permit still existed
		 * @throws IllegalStateException when the permit was released
		 * @throws LockLostException when the permit was lost with its session
		 * @throws dev.coordination.etcd.EtcdAccessException when etcd did not answer; the write may
		 * still be applied later
		 */
		WriteResult fencedWrite(FencedWrite write);

		/**
		 * Give the permit back.
		 * @throws IllegalStateException when it was released before
		 * @throws LockLostException when it was lost with its session
		 */
		void release();

		/**
		 * Same as {@link #release()}.
		 */
		@Override
		void close();

	}

}
