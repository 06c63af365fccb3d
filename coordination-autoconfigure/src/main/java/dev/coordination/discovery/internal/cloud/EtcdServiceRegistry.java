package dev.coordination.discovery.internal.cloud;

import java.time.Instant;
import java.util.Locale;

import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.EtcdServiceRegistration;

import org.springframework.cloud.client.serviceregistry.Registration;
import org.springframework.cloud.client.serviceregistry.ServiceRegistry;

/**
 * Spring Cloud {@link ServiceRegistry} over this instance's {@link EtcdServiceRegistration}, also
 * behind Spring Cloud's {@code serviceregistry} actuator endpoint. {@link #setStatus} takes
 * {@code UP}, {@code DOWN} and {@code OUT_OF_SERVICE}.
 */
public class EtcdServiceRegistry implements ServiceRegistry<Registration> {

	private final EtcdServiceRegistration registration;

	public EtcdServiceRegistry(EtcdServiceRegistration registration) {
		this.registration = registration;
	}

	@Override
	public void register(Registration registration) {
		this.registration.register(record(registration));
	}

	@Override
	public void deregister(Registration registration) {
		if (isCurrent(registration)) {
			this.registration.deregister();
		}
	}

	@Override
	public void close() {
	}

	@Override
	public void setStatus(Registration registration, String status) {
		InstanceStatus parsed;
		try {
			parsed = InstanceStatus.valueOf(status.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
		}
		catch (IllegalArgumentException | NullPointerException ex) {
			throw new IllegalArgumentException(
					"Unknown instance status '" + status + "': use UP, DOWN or OUT_OF_SERVICE");
		}
		if (!isCurrent(registration)) {
			throw new IllegalArgumentException("Instance '" + registration.getInstanceId()
					+ "' is not this instance's registration");
		}
		this.registration.setStatus(parsed);
	}

	@Override
	@SuppressWarnings("unchecked")
	public <T> T getStatus(Registration registration) {
		return (T) this.registration.registration()
			.filter((record) -> matches(record, registration))
			.map((record) -> record.status().name())
			.orElse(null);
	}

	private boolean isCurrent(Registration registration) {
		return this.registration.registration().filter((record) -> matches(record, registration)).isPresent();
	}

	private static boolean matches(ServiceRecord record, Registration registration) {
		return record.instanceId().equals(registration.getInstanceId())
				&& record.serviceId().equals(registration.getServiceId());
	}

	private static ServiceRecord record(Registration registration) {
		if (registration instanceof EtcdServiceInstance instance) {
			return instance.getRecord();
		}
		String zone = registration.getMetadata().get("zone");
		return new ServiceRecord(registration.getInstanceId(), registration.getServiceId(), registration.getHost(),
				registration.getPort(), registration.isSecure(), InstanceStatus.UP, zone, Instant.now(),
				registration.getMetadata());
	}

}
