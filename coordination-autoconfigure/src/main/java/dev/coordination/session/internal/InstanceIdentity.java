package dev.coordination.session.internal;

import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Who this instance is, as other instances see it: its candidacy in elections and its service
 * registration both carry it.
 *
 * @param instanceId the instance id, unique among the instances of the application
 * @param host the host the instance can be reached at
 * @param port its port, or {@code 0} when it has none (yet)
 * @param metadata user metadata
 */
public record InstanceIdentity(String instanceId, String host, int port, Map<String, String> metadata) {

	public InstanceIdentity(String instanceId, String host, int port, @Nullable Map<String, String> metadata) {
		this.instanceId = instanceId;
		this.host = host;
		this.port = port;
		this.metadata = (metadata != null) ? Map.copyOf(metadata) : Map.of();
	}

}
