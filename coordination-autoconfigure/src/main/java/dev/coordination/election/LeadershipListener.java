package dev.coordination.election;

/**
 * Hears this instance's leadership changes, and who leads as this instance sees it. Beans of this
 * type hear every election; {@link LeaderElection#addListener} adds a listener of one election.
 * <p>
 * Called on the starter's event thread, {@code coordination-events}, one event at a time and in
 * the order things happened, never on a thread that keeps the session alive or watches etcd: a slow
 * or failing listener delays other listeners, not the election. The same events are published as
 * Spring application events ({@code @EventListener} methods run on that thread too). By the time a
 * listener hears of a revocation, {@link LeaderElection#isLeader()} already answers {@code false}.
 */
public interface LeadershipListener {

	/**
	 * This instance became leader.
	 * @param event the election and the new term
	 */
	default void granted(LeadershipGrantedEvent event) {
	}

	/**
	 * This instance stopped being leader.
	 * @param event the election, the term that ended, and why
	 */
	default void revoked(LeadershipRevokedEvent event) {
	}

	/**
	 * The election's leader, as this instance's view of etcd shows it, changed: another candidate's
	 * key is now the oldest, or none is left. Told on every instance, the leader included (before
	 * or after {@link #granted}, which depends on its own session as well).
	 * @param event the election and its new leader
	 */
	default void leaderChanged(LeaderChangedEvent event) {
	}

}
