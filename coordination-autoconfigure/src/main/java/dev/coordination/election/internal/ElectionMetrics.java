package dev.coordination.election.internal;

import java.time.Duration;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.RevocationReason;

/**
 * What elections report for metrics. The Micrometer implementation is used when a
 * {@code MeterRegistry} exists. Called synchronously where leadership changes: implementations only
 * record.
 */
public interface ElectionMetrics {

	/**
	 * Records nothing.
	 */
	ElectionMetrics NONE = new ElectionMetrics() {
	};

	/**
	 * This instance joined an election.
	 * @param election the election
	 */
	default void joined(LeaderElection election) {
	}

	/**
	 * This instance became leader.
	 * @param election the election name
	 */
	default void granted(String election) {
	}

	/**
	 * This instance stopped being leader.
	 * @param election the election name
	 * @param reason why
	 * @param tenure how long the term lasted
	 */
	default void revoked(String election, RevocationReason reason, Duration tenure) {
	}

}
