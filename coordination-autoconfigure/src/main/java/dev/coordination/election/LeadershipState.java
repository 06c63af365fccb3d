package dev.coordination.election;

import org.jspecify.annotations.Nullable;

/**
 * An election as this instance sees it at one moment: whether this instance leads (its term), and
 * who leads as its view of etcd shows it. What {@link ReactiveLeaderElections#observe(String)} emits.
 * <p>
 * Both can differ for a moment: right after a revocation this instance may still see its own
 * candidacy as the leader until its key is gone, and a new leader is seen before its session lets it
 * act as one.
 *
 * @param election the election name
 * @param term this instance's term, {@code null} when it does not lead
 * @param leader who leads, {@code null} when nobody does
 */
public record LeadershipState(String election, @Nullable LeaderTerm term, @Nullable Candidate leader) {

	/**
	 * Whether this instance leads.
	 * @return {@code true} when it holds a term
	 */
	public boolean isLeader() {
		return this.term != null;
	}

}
