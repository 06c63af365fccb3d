package dev.coordination.autoconfigure.election;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.coordination.etcd.internal.EtcdKeys;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration properties of leader election ({@code coordination.etcd.election.*}).
 */
@ConfigurationProperties("coordination.etcd.election")
public class ElectionProperties implements InitializingBean {

	private static final String PREFIX_PROPERTY = "coordination.etcd.election.prefix";

	private static final String RETRY_PERIOD_PROPERTY = "coordination.etcd.election.retry-period";

	private static final String STATUS_LOG_INTERVAL_PROPERTY = "coordination.etcd.election.status-log-interval";

	// a day: longer is a typo, and a period must fit the nanosecond delays it is scheduled with
	private static final Duration MAXIMUM_PERIOD = Duration.ofDays(1);

	/**
	 * Whether to enable leader election and {@code @LeaderOnly}.
	 */
	private boolean enabled = true;

	/**
	 * Key prefix of all elections: a candidate's key is {prefix}/{election}/{leaseHex}, the layout
	 * of etcd's own elections, so "etcdctl elect {prefix}/{election}" takes part.
	 */
	private String prefix = "/elections";

	/**
	 * Whether candidates campaign only while the application is ready (its readiness state is
	 * ACCEPTING_TRAFFIC): before that they only observe, and an instance whose readiness turns to
	 * REFUSING_TRAFFIC resigns its leadership and campaigns again once it accepts traffic.
	 */
	private boolean waitForReadiness;

	/**
	 * How long a candidate waits before it campaigns again, or reads the election again, after
	 * etcd failed the attempt: a fixed period (shortened by up to a fifth at random, so that the
	 * instances do not retry in step). When not set, elections retry with the backoff of
	 * coordination.etcd.retry (delay doubling up to max-delay). An election's own retry-period
	 * overrides it.
	 */
	private @Nullable Duration retryPeriod;

	/**
	 * How often to log, at INFO, one line per election with this instance's role and the leader
	 * (logger dev.coordination.election.internal.ElectionStatusLog). When not set, nothing is
	 * logged.
	 */
	private @Nullable Duration statusLogInterval;

	/**
	 * Settings of individual elections, by election name.
	 */
	private Map<String, Election> elections = new LinkedHashMap<>();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public String getPrefix() {
		return this.prefix;
	}

	public void setPrefix(String prefix) {
		this.prefix = prefix;
	}

	public boolean isWaitForReadiness() {
		return this.waitForReadiness;
	}

	public void setWaitForReadiness(boolean waitForReadiness) {
		this.waitForReadiness = waitForReadiness;
	}

	public @Nullable Duration getRetryPeriod() {
		return this.retryPeriod;
	}

	public void setRetryPeriod(@Nullable Duration retryPeriod) {
		this.retryPeriod = retryPeriod;
	}

	public @Nullable Duration getStatusLogInterval() {
		return this.statusLogInterval;
	}

	public void setStatusLogInterval(@Nullable Duration statusLogInterval) {
		this.statusLogInterval = statusLogInterval;
	}

	public Map<String, Election> getElections() {
		return this.elections;
	}

	public void setElections(Map<String, Election> elections) {
		this.elections = elections;
	}

	/**
	 * The key prefix, normalised: a leading {@code /}, no trailing one.
	 * @return the prefix
	 * @throws InvalidConfigurationPropertyValueException when it is not a usable prefix
	 */
	public String keyPrefix() {
		return EtcdKeys.prefix(PREFIX_PROPERTY, this.prefix);
	}

	/**
	 * The retry period of an election: its own {@code retry-period}, else the global one.
	 * @param name the election name
	 * @return the period, or {@code null} to retry with the shared backoff of
	 * {@code coordination.etcd.retry}
	 */
	public @Nullable Duration retryPeriod(String name) {
		Election election = this.elections.get(name);
		Duration own = (election != null) ? election.getRetryPeriod() : null;
		return (own != null) ? own : this.retryPeriod;
	}

	@Override
	public void afterPropertiesSet() {
		keyPrefix();
		period(RETRY_PERIOD_PROPERTY, this.retryPeriod, "for example 500ms");
		period(STATUS_LOG_INTERVAL_PROPERTY, this.statusLogInterval, "for example 30s, or leave it unset to log no status");
		this.elections.forEach((name, election) -> period("coordination.etcd.election.elections." + name + ".retry-period",
				election.getRetryPeriod(), "for example 500ms"));
	}

	private static void period(String property, @Nullable Duration value, String example) {
		if (value != null && (value.isNegative() || value.isZero() || value.compareTo(MAXIMUM_PERIOD) > 0)) {
			throw new InvalidConfigurationPropertyValueException(property, value,
					"Must be a positive duration of at most 1d, " + example + ".");
		}
	}

	/**
	 * Settings of one election.
	 */
	public static class Election {

		/**
		 * Whether this instance campaigns in the election. When false it only observes who leads
		 * (for example an instance that must never run the leader's work).
		 */
		private boolean candidate = true;

		/**
		 * How long this election's candidate waits before it campaigns again, or reads the
		 * election again, after etcd failed the attempt. Overrides
		 * coordination.etcd.election.retry-period for this election.
		 */
		private @Nullable Duration retryPeriod;

		public @Nullable Duration getRetryPeriod() {
			return this.retryPeriod;
		}

		public void setRetryPeriod(@Nullable Duration retryPeriod) {
			this.retryPeriod = retryPeriod;
		}

		public boolean isCandidate() {
			return this.candidate;
		}

		public void setCandidate(boolean candidate) {
			this.candidate = candidate;
		}

	}

}
