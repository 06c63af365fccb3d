package dev.coordination.lock;

import java.time.Duration;

/**
 * Thrown when a lock, read or write lock, or semaphore permit was not acquired within its wait
 * time.
 */
public class LockNotAcquiredException extends RuntimeException {

	private final String key;

	public LockNotAcquiredException(String key, Duration waitTime) {
		this(key, "Lock '" + key + "' was not acquired within " + waitTime.toMillis() + " ms");
	}

	/**
	 * Create an exception for a read or write lock or a semaphore.
	 * @param key the key of what was not acquired
	 * @param message what was not acquired within which time
	 */
	public LockNotAcquiredException(String key, String message) {
		super(message);
		this.key = key;
	}

	/**
	 * The lock's key.
	 * @return the key
	 */
	public String getKey() {
		return this.key;
	}

}
