package dev.coordination.election;

import org.springframework.context.ApplicationEvent;

/**
 * Published when this instance becomes leader of an election.
 */
public class LeadershipGrantedEvent extends ApplicationEvent {

	private final LeaderTerm term;

	public LeadershipGrantedEvent(LeaderElection source, LeaderTerm term) {
		super(source);
		this.term = term;
	}

	/**
	 * The election name.
	 * @return the name
	 */
	public String getElection() {
		return this.term.election();
	}

	/**
	 * The fencing token of the new term.
	 * @return the token
	 */
	public long getToken() {
		return this.term.token();
	}

	/**
	 * The new term.
	 * @return the term
	 */
	public LeaderTerm getTerm() {
		return this.term;
	}

	@Override
	public String toString() {
		return "LeadershipGrantedEvent[election=" + getElection() + ", token=" + getToken() + "]";
	}

}
