package dev.coordination.discovery.internal;

import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.etcd.internal.EtcdKeys;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of service discovery: the catalog's revision and services, and this instance's
 * registration (registered or not, instance id, status, lease). UP while registered or not meant
 * to register; UNKNOWN while the registration waits for etcd, which does not turn the aggregate
 * health DOWN (that would in turn publish the instance as DOWN). Answers from local state, without
 * calling etcd.
 */
public class DiscoveryHealthIndicator extends AbstractHealthIndicator {

	private final ServiceDiscovery discovery;

	private final @Nullable EtcdServiceRegistration registration;

	/**
	 * Create an indicator.
	 * @param discovery the catalog
	 * @param registration this instance's registration, or {@code null} when it does not register
	 */
	public DiscoveryHealthIndicator(ServiceDiscovery discovery, @Nullable EtcdServiceRegistration registration) {
		super("discovery health check failed");
		this.discovery = discovery;
		this.registration = registration;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		builder.up().withDetail("catalogRevision", this.discovery.revision())
			.withDetail("services", this.discovery.services().size());
		if (this.registration == null || this.registration.registration().isEmpty()) {
			builder.withDetail("registered", false);
			return;
		}
		boolean registered = this.registration.isRegistered();
		this.registration.registration().ifPresent((record) -> builder.withDetail("serviceId", record.serviceId())
			.withDetail("instanceId", record.instanceId())
			.withDetail("uri", record.uri().toString())
			.withDetail("status", record.status().name()));
		builder.withDetail("registered", registered);
		if (registered) {
			builder.withDetail("leaseId", EtcdKeys.leaseHex(this.registration.lease()));
		}
		else {
			builder.status(Status.UNKNOWN);
		}
		this.registration.lastError().ifPresent((error) -> builder.withDetail("lastError", error));
	}

}
