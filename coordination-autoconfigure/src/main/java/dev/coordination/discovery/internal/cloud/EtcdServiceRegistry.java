package dev.coordination.discovery.internal.cloud;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;

import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.serviceregistry.Registration;
import org.springframework.cloud.client.serviceregistry.ServiceRegistry;
import org.springframework.util.Assert;

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
	public void register(@Nullable Registration registration) {
		Assert.notNull(registration, "registration must not be null");
		this.registration.register(record(registration));
	}

	@Override
	public void deregister(@Nullable Registration registration) {
		if (registration != null && isCurrent(registration)) {
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

	/**
	 * The status this instance publishes with its registration.
	 * @param registration this instance's registration
	 * @return the status, {@code UP}, {@code DOWN} or {@code OUT_OF_SERVICE}
	 * @throws IllegalArgumentException when {@code registration} is not what this instance registers
	 * now: Spring Cloud's contract has no {@code null} status for it ({@link CurrentRegistration}
	 * throws {@link IllegalStateException} already while nothing is registered)
	 */
	@Override
	@SuppressWarnings("unchecked")
	public <T> T getStatus(Registration registration) {
		return (T) this.registration.registration()
			.filter((record) -> matches(record, registration))
			.map((record) -> record.status().name())
			.orElseThrow(() -> new IllegalArgumentException("Instance '" + registration.getInstanceId()
					+ "' is not this instance's registration"));
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
		String instanceId = registration.getInstanceId();
		Assert.notNull(instanceId, "registration must have an instance id");
		Map<String, String> metadata = registration.getMetadata();
		String zone = (metadata != null) ? metadata.get("zone") : null;
		return new ServiceRecord(instanceId, registration.getServiceId(), registration.getHost(),
				registration.getPort(), registration.isSecure(), InstanceStatus.UP, zone, Instant.now(),
				(metadata != null) ? metadata : Map.of());
	}

}
