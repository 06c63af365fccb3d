package dev.coordination.lock;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

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
	 * Acquire the lock of {@code key} without a thread waiting: the returned future completes once
	 * this instance holds it, with a {@link LockHold} that belongs to no thread and must be
	 * {@linkplain LockHold#release() released}. Threads and asynchronous holds of this instance take
	 * the lock in the order they come; waiting holds no thread, and only the etcd round trips of the
	 * one acquisition at the head run on a thread of the starter's (a virtual thread with
	 * {@code spring.threads.virtual.enabled=true} on Java 21+).
	 * @param key the key
	 * @param waitTime how long to wait at most; {@link Duration#ZERO} tries once
	 * @return a future of the hold that completes exceptionally with {@link LockNotAcquiredException}
	 * when the wait time passed first, or with an {@link dev.coordination.etcd.EtcdAccessException};
	 * cancelling it gives up waiting (and a hold acquired at that moment is released)
	 * @throws IllegalArgumentException when the key is null or empty, or the wait time negative
	 */
	CompletableFuture<LockHold> acquireAsync(String key, Duration waitTime);

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
