package dev.coordination.discovery.internal.cloud;

import java.net.URI;
import java.util.Map;

import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.EtcdServiceRegistration;

import org.springframework.cloud.client.serviceregistry.Registration;

/**
 * This instance's registration as the Spring Cloud {@link Registration} bean, for example for the
 * {@code serviceregistry} actuator endpoint. It reflects what the instance registers now.
 */
public class CurrentRegistration implements Registration {

	private final EtcdServiceRegistration registration;

	public CurrentRegistration(EtcdServiceRegistration registration) {
		this.registration = registration;
	}

	private EtcdServiceInstance current() {
		ServiceRecord record = this.registration.registration()
			.orElseThrow(() -> new IllegalStateException("This instance is not registered (yet)"));
		return new EtcdServiceInstance(record);
	}

	@Override
	public String getInstanceId() {
		return current().getInstanceId();
	}

	@Override
	public String getServiceId() {
		return current().getServiceId();
	}

	@Override
	public String getHost() {
		return current().getHost();
	}

	@Override
	public int getPort() {
		return current().getPort();
	}

	@Override
	public boolean isSecure() {
		return current().isSecure();
	}

	@Override
	public URI getUri() {
		return current().getUri();
	}

	@Override
	public Map<String, String> getMetadata() {
		return current().getMetadata();
	}

	@Override
	public String toString() {
		return this.registration.registration().map(EtcdServiceInstance::new).map(Object::toString)
			.orElse("(not registered)");
	}

}
