package dev.coordination.lock.internal;

import java.util.List;

import dev.coordination.lock.HeldLock;

/**
 * A lock or semaphore of an {@link EtcdLockRegistry} that is held or awaited: what the registry
 * reports and tells of a lost session.
 */
interface RegisteredLock {

	/**
	 * The holds of this instance whose session is provably alive.
	 * @return the holds
	 */
	List<HeldLock> held();

	/**
	 * Called on the session's thread when the lease {@code leaseId} is lost.
	 * @param leaseId the lost lease
	 * @param interruptHolders whether to interrupt the threads that hold what was lost
	 * @return the holds that lived on that lease
	 */
	List<HeldLock> sessionLost(long leaseId, boolean interruptHolders);

}
