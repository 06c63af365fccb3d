package dev.coordination.session.internal;

import dev.coordination.session.SessionLossReason;

/**
 * What the starter's capabilities that hold something on the session lease hear of it, always with
 * the lease id it concerns, so nothing acts on a stale lease.
 * <p>
 * Called synchronously on the session's thread, in the order things happened: implementations
 * change their own state and hand anything slow (etcd calls, the application's listeners) to
 * other threads. {@link #leaseClosing} is the exception: the session waits for it, bounded.
 */
public interface LeaseListener {

	/**
	 * A lease was granted: at start-up, and after every loss once etcd answers again.
	 * @param leaseId the new lease
	 * @param renewal {@code false} for the first lease (or when the listener joins a running
	 * session), {@code true} for a lease granted after a loss
	 */
	default void leaseGranted(long leaseId, boolean renewal) {
	}

	/**
	 * The session lost its lease. Called before the session asks for a new lease;
	 * {@link EtcdSession#isValid(long)} is already {@code false} for it.
	 * @param leaseId the lost lease
	 * @param reason why it was lost
	 */
	default void leaseLost(long leaseId, SessionLossReason reason) {
	}

	/**
	 * The application is shutting down: the lease is still alive, and is revoked once every
	 * listener returned. The time to resign and deregister.
	 * @param leaseId the lease about to be revoked
	 */
	default void leaseClosing(long leaseId) {
	}

}
