package dev.coordination.session;

/**
 * Receives the session's lifecycle, always with the lease id it concerns, so nothing acts on a
 * stale lease.
 * <p>
 * Callbacks run one at a time on the session's thread, in the order things happened; they must
 * not block for long (a bounded etcd call is fine).
 */
public interface SessionListener {

	/**
	 * A lease was granted: at start-up, and after every loss once etcd answers again.
	 * @param leaseId the new lease
	 * @param renewal {@code false} for the first lease of this instance (or when the listener joins
	 * a running session), {@code true} for a lease granted after a loss
	 */
	default void sessionGranted(long leaseId, boolean renewal) {
	}

	/**
	 * The session lost its lease. Called synchronously, before the session asks for a new lease;
	 * {@link CoordinationSession#isValid(long)} is already {@code false} for this lease.
	 * @param leaseId the lost lease
	 * @param reason why it was lost
	 */
	default void sessionLost(long leaseId, SessionLossReason reason) {
	}

	/**
	 * The application is shutting down: the lease is still alive, and is revoked once every
	 * listener returned. The time to resign and deregister.
	 * @param leaseId the lease about to be revoked
	 */
	default void sessionClosing(long leaseId) {
	}

}
