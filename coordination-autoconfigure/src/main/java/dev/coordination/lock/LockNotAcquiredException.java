package dev.coordination.lock;

import java.time.Duration;

/**
 * Thrown when a lock was not acquired within its wait time.
 */
public class LockNotAcquiredException extends RuntimeException {

	private final String key;

	public LockNotAcquiredException(String key, Duration waitTime) {
		super("Lock '" + key + "' was not acquired within " + waitTime.toMillis() + " ms");
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
