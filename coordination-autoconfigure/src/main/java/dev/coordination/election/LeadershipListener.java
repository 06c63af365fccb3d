package dev.coordination.election;

/**
 * Receives this instance's leadership changes of one election.
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

}
