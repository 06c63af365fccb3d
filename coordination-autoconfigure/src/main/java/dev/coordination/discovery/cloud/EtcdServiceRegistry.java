package dev.coordination.discovery.cloud;

import java.util.Locale;

import dev.coordination.discovery.EtcdServiceRegistration;
import dev.coordination.discovery.InstanceStatus;

import org.springframework.cloud.client.serviceregistry.ServiceRegistry;

/**
 * Spring Cloud {@link ServiceRegistry} over this instance's {@link EtcdServiceRegistration}.
 * {@link #setStatus} takes {@code UP}, {@code DOWN} and {@code OUT_OF_SERVICE}.
 */
public class EtcdServiceRegistry implements ServiceRegistry<EtcdServiceInstance> {

	private final EtcdServiceRegistration registration;

	public EtcdServiceRegistry(EtcdServiceRegistration registration) {
		this.registration = registration;
	}

	@Override
	public void register(EtcdServiceInstance registration) {
		this.registration.register(registration.getRecord());
	}

	@Override
	public void deregister(EtcdServiceInstance registration) {
		this.registration.registration()
			.filter((record) -> record.instanceId().equals(registration.getInstanceId())
					&& record.serviceId().equals(registration.getServiceId()))
			.ifPresent((record) -> this.registration.deregister());
	}

	@Override
	public void close() {
	}

	@Override
	public void setStatus(EtcdServiceInstance registration, String status) {
		InstanceStatus parsed;
		try {
			parsed = InstanceStatus.valueOf(status.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
		}
		catch (IllegalArgumentException | NullPointerException ex) {
			throw new IllegalArgumentException(
					"Unknown instance status '" + status + "': use UP, DOWN or OUT_OF_SERVICE");
		}
		this.registration.setStatus(parsed);
	}

	@Override
	@SuppressWarnings("unchecked")
	public <T> T getStatus(EtcdServiceInstance registration) {
		return (T) this.registration.registration().map((record) -> record.status().name()).orElse(null);
	}

}
