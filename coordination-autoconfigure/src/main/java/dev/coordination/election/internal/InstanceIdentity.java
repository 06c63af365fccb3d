package dev.coordination.election.internal;

import java.util.Map;

/**
 * Identity of this instance as candidates of an election read it: written as JSON into the value
 * of its election keys.
 *
 * @param instanceId the instance id
 * @param host the host the instance can be reached at, or {@code null}
 * @param port its port, or {@code 0} when unknown
 * @param metadata user metadata
 */
public record InstanceIdentity(String instanceId, String host, int port, Map<String, String> metadata) {

	public InstanceIdentity {
		metadata = (metadata != null) ? Map.copyOf(metadata) : Map.of();
	}

	/**
	 * The identity as the JSON value of an election key.
	 * @return the JSON
	 */
	public String toJson() {
		return CandidateCodec.encode(this.instanceId, this.host, this.port, this.metadata);
	}

}
