package dev.coordination.lock;

/**
 * Obtains the distributed lock of a key.
 */
public interface DistributedLockRegistry {

	/**
	 * The lock of {@code key}: the same object for every caller while anyone uses it.
	 * @param key the key, any non-empty text ({@code /}, spaces and non-ASCII letters are fine)
	 * @return the lock
	 * @throws IllegalArgumentException when the key is null or empty
	 */
	DistributedLock obtain(String key);

}
