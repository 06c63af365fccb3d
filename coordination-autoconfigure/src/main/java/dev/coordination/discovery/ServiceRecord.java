package dev.coordination.discovery;

import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * One registered instance of a service, as stored at {@code {prefix}/{serviceId}/{instanceId}}.
 *
 * @param instanceId the instance's id, unique within its service
 * @param serviceId the service's id, for example the application name
 * @param host the host name or IP address it is reached at
 * @param port the port it is reached at
 * @param secure whether it is reached over https
 * @param status its status
 * @param zone its zone, or {@code null}
 * @param startTime when the instance started, or {@code null} when its record does not say
 * @param metadata free-form metadata, never {@code null}
 */
public record ServiceRecord(String instanceId, String serviceId, String host, int port, boolean secure,
		InstanceStatus status, @Nullable String zone, @Nullable Instant startTime, Map<String, String> metadata) {

	public ServiceRecord {
		Objects.requireNonNull(instanceId, "instanceId");
		Objects.requireNonNull(serviceId, "serviceId");
		Objects.requireNonNull(host, "host");
		Objects.requireNonNull(status, "status");
		metadata = (metadata != null) ? Map.copyOf(metadata) : Map.of();
	}

	/**
	 * The instance's base URI, {@code http://host:port} or {@code https://host:port}.
	 * @return the URI
	 */
	public URI uri() {
		return URI.create((this.secure ? "https" : "http") + "://" + hostForUri() + ":" + this.port);
	}

	/**
	 * This record with another status.
	 * @param status the status
	 * @return the record
	 */
	public ServiceRecord withStatus(InstanceStatus status) {
		return new ServiceRecord(this.instanceId, this.serviceId, this.host, this.port, this.secure, status, this.zone,
				this.startTime, this.metadata);
	}

	private String hostForUri() {
		return (this.host.indexOf(':') >= 0 && !this.host.startsWith("[")) ? "[" + this.host + "]" : this.host;
	}

}
