package dev.coordination.election;

import org.springframework.context.ApplicationEvent;

/**
 * Published when this instance stops leading an election.
 */
public class LeadershipRevokedEvent extends ApplicationEvent {

	private final LeaderTerm term;

	private final RevocationReason reason;

	public LeadershipRevokedEvent(LeaderElection source, LeaderTerm term, RevocationReason reason) {
		super(source);
		this.term = term;
		this.reason = reason;
	}

	/**
	 * The election name.
	 * @return the name
	 */
	public String getElection() {
		return this.term.election();
	}

	/**
	 * The fencing token of the term that ended.
	 * @return the token
	 */
	public long getToken() {
		return this.term.token();
	}

	/**
	 * The term that ended.
	 * @return the term
	 */
	public LeaderTerm getTerm() {
		return this.term;
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
		return "LeadershipRevokedEvent[election=" + getElection() + ", token=" + getToken() + ", reason=" + this.reason + "]";
	}

}
