package dev.coordination.session.internal;

import java.time.Duration;

import dev.coordination.session.SessionLossReason;

/**
 * What the session reports for metrics. The Micrometer implementation is used when a
 * {@code MeterRegistry} exists.
 */
public interface SessionMetrics {

	/**
	 * Records nothing.
	 */
	SessionMetrics NONE = new SessionMetrics() {
	};

	/**
	 * A keep-alive round trip ended.
	 * @param roundTrip from sending the request to the answer or failure
	 * @param success whether etcd extended the lease
	 */
	default void keepAlive(Duration roundTrip, boolean success) {
	}

	/**
	 * A lease was granted.
	 * @param renewal whether it replaces a lost one
	 */
	default void granted(boolean renewal) {
	}

	/**
	 * The session lost its lease.
	 * @param reason why
	 */
	default void lost(SessionLossReason reason) {
	}

}
