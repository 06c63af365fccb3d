package dev.coordination.discovery.internal.cloud;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.coordination.discovery.ServiceRecord;
import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.serviceregistry.Registration;

/**
 * A {@link ServiceRecord} as a Spring Cloud {@link org.springframework.cloud.client.ServiceInstance}
 * (and {@link Registration}). The zone, status and start time are in the metadata too, under
 * {@code zone}, {@code status} and {@code start-time}, where Spring Cloud LoadBalancer's zone
 * preference looks for the zone.
 */
public class EtcdServiceInstance implements Registration {

	private final ServiceRecord record;

	private final Map<String, String> metadata;

	public EtcdServiceInstance(ServiceRecord record) {
		this.record = record;
		Map<String, String> metadata = new LinkedHashMap<>(record.metadata());
		if (record.zone() != null) {
			metadata.putIfAbsent("zone", record.zone());
		}
		metadata.putIfAbsent("status", record.status().name());
		if (record.startTime() != null) {
			metadata.putIfAbsent("start-time", record.startTime().toString());
		}
		this.metadata = Map.copyOf(metadata);
	}

	/**
	 * The record behind this instance.
	 * @return the record
	 */
	public ServiceRecord getRecord() {
		return this.record;
	}

	@Override
	public String getInstanceId() {
		return this.record.instanceId();
	}

	@Override
	public String getServiceId() {
		return this.record.serviceId();
	}

	@Override
	public String getHost() {
		return this.record.host();
	}

	@Override
	public int getPort() {
		return this.record.port();
	}

	@Override
	public boolean isSecure() {
		return this.record.secure();
	}

	@Override
	public URI getUri() {
		return this.record.uri();
	}

	@Override
	public Map<String, String> getMetadata() {
		return this.metadata;
	}

	@Override
	public boolean equals(@Nullable Object other) {
		return other instanceof EtcdServiceInstance instance && this.record.equals(instance.record);
	}

	@Override
	public int hashCode() {
		return this.record.hashCode();
	}

	@Override
	public String toString() {
		return getServiceId() + " " + getInstanceId() + " at " + getUri() + " (" + this.record.status() + ")";
	}

}
