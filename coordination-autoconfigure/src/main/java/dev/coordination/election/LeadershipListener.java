package dev.coordination.election;

/**
 * Receives this instance's leadership changes of one election, and who leads it as this instance
 * sees it.
 * <p>
 * {@link #revoked} may run on the session's thread, synchronously with the loss of the session:
 * keep it short.
 */
public interface LeadershipListener {

	/**
	 * This instance became leader.
	 * @param term the new term
	 */
	default void granted(LeaderTerm term) {
	}

	/**
	 * This instance stopped being leader.
	 * @param term the term that ended
	 * @param reason why
	 */
	default void revoked(LeaderTerm term, RevocationReason reason) {
	}

	/**
	 * The election's leader, as this instance's view of etcd shows it, changed: another candidate's
	 * key is now the oldest, or none is left. Called on the election's thread, also on the instance
	 * that leads (before or after {@link #granted}, which depends on its own session as well).
	 * @param leader the new leader, {@code null} while there is none
	 */
	default void leaderChanged(Candidate leader) {
	}

}
