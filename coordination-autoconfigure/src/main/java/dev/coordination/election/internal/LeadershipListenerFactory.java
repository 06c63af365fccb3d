package dev.coordination.election.internal;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeadershipListener;

/**
 * Creates a listener for every election this instance joins: events, metrics, or the
 * application's own.
 */
@FunctionalInterface
public interface LeadershipListenerFactory {

	/**
	 * Create the listener of an election.
	 * @param election the election just joined
	 * @return its listener
	 */
	LeadershipListener create(LeaderElection election);

}
