package dev.coordination.election;

import java.util.Collection;

/**
 * The elections this instance takes part in, by name.
 */
public interface LeaderElections {

	/**
	 * The election with this name; the instance joins it on first use and campaigns from then on.
	 * @param name the election name, for example {@link LeaderElection#DEFAULT}
	 * @return the election
	 * @throws IllegalArgumentException when the name is null or empty
	 */
	LeaderElection election(String name);

	/**
	 * The elections joined so far.
	 * @return the elections
	 */
	Collection<LeaderElection> elections();

	/**
	 * Register a listener of every election, joined already or later (beans of type
	 * {@link LeadershipListener} are registered automatically).
	 * @param listener the listener
	 */
	void addListener(LeadershipListener listener);

	/**
	 * Unregister a listener of every election.
	 * @param listener the listener
	 */
	void removeListener(LeadershipListener listener);

}
