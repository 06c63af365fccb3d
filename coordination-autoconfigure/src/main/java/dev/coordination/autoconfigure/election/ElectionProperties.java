package dev.coordination.autoconfigure.election;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of leader election ({@code coordination.etcd.election.*}).
 */
@ConfigurationProperties("coordination.etcd.election")
public class ElectionProperties {

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
	 * Id of this instance as a candidate. Defaults to {spring.application.name}@{host}:{port}.
	 */
	private String instanceId;

	/**
	 * Host at which followers can reach the leader. Defaults to the local host name.
	 */
	private String host;

	/**
	 * Port at which followers can reach the leader. Defaults to the web server's port, or
	 * server.port.
	 */
	private Integer port;

	/**
	 * Metadata published with this instance's candidacy, readable by followers.
	 */
	private Map<String, String> metadata = new LinkedHashMap<>();

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

	public String getInstanceId() {
		return this.instanceId;
	}

	public void setInstanceId(String instanceId) {
		this.instanceId = instanceId;
	}

	public String getHost() {
		return this.host;
	}

	public void setHost(String host) {
		this.host = host;
	}

	public Integer getPort() {
		return this.port;
	}

	public void setPort(Integer port) {
		this.port = port;
	}

	public Map<String, String> getMetadata() {
		return this.metadata;
	}

	public void setMetadata(Map<String, String> metadata) {
		this.metadata = metadata;
	}

	public Map<String, Election> getElections() {
		return this.elections;
	}

	public void setElections(Map<String, Election> elections) {
		this.elections = elections;
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
