package dev.coordination.lock;

import java.util.List;

/**
 * Obtains the distributed locks, read-write locks and semaphores of keys. Keys are any non-empty
 * text ({@code /}, spaces and non-ASCII letters are fine). A lock, a read-write lock and a
 * semaphore of the same key are unrelated: each kind has its own etcd prefix.
 * <p>
 * Thread-safe. Every kind keeps the same contract: holds never overlap beyond what the kind allows,
 * in this instance or another; an acquisition that times out or is interrupted deletes its key
 * (in the background while etcd does not answer); a hold lost with the session is invalid at once,
 * reported to the {@link LockListener}s, and its release and fenced writes fail with
 * {@link LockLostException}; fencing tokens grow from one hold to the next.
 */
public interface DistributedLockRegistry {

	/**
	 * The lock of {@code key}: the same object for every caller while anyone uses it.
	 * @param key the key
	 * @return the lock
	 * @throws IllegalArgumentException when the key is null or empty
	 */
	DistributedLock obtain(String key);

	/**
	 * The read-write lock of {@code key}: the same object for every caller while anyone uses it.
	 * @param key the key
	 * @return the read-write lock
	 * @throws IllegalArgumentException when the key is null or empty
	 */
	DistributedReadWriteLock readWriteLock(String key);

	/**
	 * The semaphore of {@code key} with {@code permits} permits: the same object for every caller
	 * while anyone uses it.
	 * @param key the key
	 * @param permits how many permits may be held at once, across all instances; at least 1
	 * @return the semaphore
	 * @throws IllegalArgumentException when the key is null or empty, {@code permits} is less than
	 * 1, or this instance uses the semaphore with another number of permits
	 */
	DistributedSemaphore semaphore(String key, int permits);

	/**
	 * The locks, read and write holds, and semaphore permits this instance holds now, for
	 * diagnostics. Answers from memory.
	 * @return the holds, ordered by key, kind and token
	 */
	List<HeldLock> heldLocks();

	/**
	 * Register a listener of lost holds (beans of type {@link LockListener} are registered
	 * automatically).
	 * @param listener the listener
	 */
	void addListener(LockListener listener);

	/**
	 * Unregister a listener.
	 * @param listener the listener
	 */
	void removeListener(LockListener listener);

}
