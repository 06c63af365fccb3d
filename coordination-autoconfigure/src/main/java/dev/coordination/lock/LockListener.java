package dev.coordination.lock;

/**
 * Told when a lock, read or write hold, or semaphore permit held by this instance is lost with its
 * session.
 */
@FunctionalInterface
public interface LockListener {

	/**
	 * A hold of this instance was lost. Runs on the session's thread: keep it short.
	 * @param lost what was held, with its key, kind and fencing token
	 */
	void lockLost(HeldLock lost);

}
