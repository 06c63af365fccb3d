package dev.coordination.election;

/**
 * Published when this instance becomes leader of an election.
 */
public class LeadershipGrantedEvent extends LeadershipEvent {

	/**
	 * Create the event.
	 * @param source the election
	 * @param term the new term
	 */
	public LeadershipGrantedEvent(LeaderElection source, LeaderTerm term) {
		super(source, term);
	}

}
