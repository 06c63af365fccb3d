package dev.coordination.election;

import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * A candidate of an election as written in its election key: the identity of an instance.
 * <p>
 * Candidates that are not this starter (an {@code etcdctl elect} or a Go service) write a plain
 * value: it is kept in {@link #instanceId()} and the other fields are empty.
 *
 * @param instanceId the instance id
 * @param host the host the instance can be reached at, or {@code null}
 * @param port its port, or {@code 0}
 * @param metadata user metadata
 * @param token the create revision of the candidate's key
 */
public record Candidate(String instanceId, @Nullable String host, int port, Map<String, String> metadata, long token) {

	public Candidate {
		metadata = (metadata != null) ? Map.copyOf(metadata) : Map.of();
	}

	/**
	 * {@code host:port}, or the instance id when the candidate gave no address.
	 * @return the address
	 */
	public String address() {
		return (this.host != null && this.port > 0) ? this.host + ":" + this.port : this.instanceId;
	}

}
