package dev.coordination.autoconfigure.election;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.coordination.etcd.internal.EtcdKeys;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration properties of leader election ({@code coordination.etcd.election.*}).
 */
@ConfigurationProperties("coordination.etcd.election")
public class ElectionProperties implements InitializingBean {

	private static final String PREFIX_PROPERTY = "coordination.etcd.election.prefix";

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

	@Override
	public void afterPropertiesSet() {
		keyPrefix();
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

		public boolean isCandidate() {
			return this.candidate;
		}

		public void setCandidate(boolean candidate) {
			this.candidate = candidate;
		}

	}

}
