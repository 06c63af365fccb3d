package dev.coordination.lock;

/**
 * Told when a lock held by this instance is lost with its session.
 */
@FunctionalInterface
public interface LockListener {

	/**
	 * A lock held by this instance was lost. Runs on the session's thread: keep it short.
	 * @param key the lock's key
	 * @param token the fencing token of the lost hold
	 */
	void lockLost(String key, long token);

}
