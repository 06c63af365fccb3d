package dev.coordination.election;

/**
 * Why this instance stopped leading.
 */
public enum RevocationReason {

	/**
	 * {@link LeaderElection#resign()} was called.
	 */
	RESIGNED,

	/**
	 * The session lease was lost (or could no longer be proved alive).
	 */
	SESSION_LOST,

	/**
	 * The application is shutting down.
	 */
	SHUTDOWN,

	/**
	 * Someone else deleted this instance's election key.
	 */
	KEY_DELETED

}
