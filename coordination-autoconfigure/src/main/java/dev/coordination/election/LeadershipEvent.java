package dev.coordination.election;

import org.springframework.context.ApplicationEvent;

/**
 * A change of this instance's own leadership of an election: granted or revoked. Listen to this
 * type to hear both.
 */
public abstract class LeadershipEvent extends ApplicationEvent {

	private final LeaderTerm term;

	/**
	 * Create the event.
	 * @param source the election
	 * @param term the term that began or ended
	 */
	protected LeadershipEvent(LeaderElection source, LeaderTerm term) {
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
	 * The fencing token of the term.
	 * @return the token
	 */
	public long getToken() {
		return this.term.token();
	}

	/**
	 * The term that began or ended.
	 * @return the term
	 */
	public LeaderTerm getTerm() {
		return this.term;
	}

	@Override
	public String toString() {
		return getClass().getSimpleName() + "[election=" + getElection() + ", token=" + getToken() + "]";
	}

}
