package dev.coordination.lock;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.locks.Lock;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import org.jspecify.annotations.Nullable;

/**
 * A lock shared by every instance of the application, and by every thread of this instance: a
 * {@link Lock} that is reentrant for the thread that holds it.
 * <p>
 * Guarantee: with a clock drift smaller than the session's safety margin, no two threads, in this
 * instance or another, hold the lock at the same time. A holder whose session is lost is told
 * ({@link LockListener}, optionally an interrupt), {@link #isHeldByCurrentThread()} turns false at
 * once, and {@link #unlock()} throws {@link LockLostException}. Protect writes to other systems
 * with the {@linkplain #fencingToken() fencing token}: it only grows from one holder to the next
 * instance, and stays the same while this instance keeps its key.
 * <p>
 * {@link #unlock()} returns once the hold is over in this instance; the lock key is deleted in the
 * background, and other instances stay excluded until it is gone. A re-acquisition by this
 * instance before that delete started takes the key over, with the same fencing token, unless
 * another instance has waited behind it past the hand-off window.
 * <p>
 * Not supported: {@link #newCondition()}.
 */
public interface DistributedLock extends Lock {

	/**
	 * The key this lock protects.
	 * @return the key
	 */
	String key();

	/**
	 * Whether the current thread holds the lock, and the session it was acquired on is provably
	 * alive. Answers without calling etcd.
	 * @return {@code true} when held
	 */
	boolean isHeldByCurrentThread();

	/**
	 * Fencing token of the current thread's hold: the create revision of this instance's lock key.
	 * @return the token, empty when the current thread does not hold the lock
	 */
	OptionalLong fencingToken();

	/**
	 * Write to etcd only while this hold still exists there: {@code write} is applied in one
	 * transaction that first compares this instance's lock key with the {@linkplain #fencingToken()
	 * fencing token}. A holder whose key is gone (its lease expired while it was paused, say) has
	 * its write rejected, even when it does not know yet that it lost the lock.
	 * @param write the puts and deletes, and conditions of the caller's own
	 * @return whether it was applied, and whether the hold still existed
	 * @throws IllegalMonitorStateException when the current thread does not hold the lock
	 * @throws LockLostException when the lock was lost
	 * @throws dev.coordination.etcd.EtcdAccessException when etcd did not answer; the write may
	 * still be applied later
	 */
	WriteResult fencedWrite(FencedWrite write);

	/**
	 * Run {@code task} holding the lock, waiting for it at most {@code waitTime}.
	 * @param <T> the result type
	 * @param waitTime how long to wait for the lock; zero tries once
	 * @param task what to run
	 * @return the task's result
	 * @throws LockNotAcquiredException when the lock was not acquired in time
	 * @throws InterruptedException when interrupted while waiting
	 * @throws Exception what the task threw
	 */
	<T extends @Nullable Object> T executeLocked(Duration waitTime, LockedTask<T> task) throws Exception;

	/**
	 * A task run while holding a lock.
	 *
	 * @param <T> the result type
	 */
	@FunctionalInterface
	interface LockedTask<T extends @Nullable Object> {

		/**
		 * Run the task.
		 * @return its result
		 * @throws Exception on failure
		 */
		T run() throws Exception;

	}

}
