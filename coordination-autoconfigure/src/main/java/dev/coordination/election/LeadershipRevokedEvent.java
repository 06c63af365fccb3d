package dev.coordination.election;

/**
 * Published when this instance stops leading an election.
 */
public class LeadershipRevokedEvent extends LeadershipEvent {

	private final RevocationReason reason;

	/**
	 * Create the event.
	 * @param source the election
	 * @param term the term that ended
	 * @param reason why it ended
	 */
	public LeadershipRevokedEvent(LeaderElection source, LeaderTerm term, RevocationReason reason) {
		super(source, term);
		this.reason = reason;
	}

	/**
	 * Why the term ended.
	 * @return the reason
	 */
	public RevocationReason getReason() {
		return this.reason;
	}

	@Override
	public String toString() {
		return "LeadershipRevokedEvent[election=" + getElection() + ", token=" + getToken() + ", reason=" + this.reason
				+ "]";
	}

}
