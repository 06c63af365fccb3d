package dev.coordination.discovery.internal;

import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.coordination.discovery.ServiceRecord;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationListener;

/**
 * Registers this instance once the application is ready, that is when its readiness turns to
 * {@link ReadinessState#ACCEPTING_TRAFFIC} (for a web application its server port is known by then),
 * with the status its health asks for. An application without a web server registers only with a
 * configured port.
 */
public class AutoRegistration implements ApplicationListener<AvailabilityChangeEvent<?>> {

	private static final Log logger = LogFactory.getLog(AutoRegistration.class);

	private final EtcdServiceRegistration registration;

	private final Supplier<@Nullable ServiceRecord> record;

	private final @Nullable HealthDrivenStatus health;

	/**
	 * Create an auto-registration.
	 * @param registration the registration
	 * @param record builds the record to register, {@code null} when this instance has no port
	 * @param health the health-driven status, or {@code null}
	 */
	public AutoRegistration(EtcdServiceRegistration registration, Supplier<@Nullable ServiceRecord> record,
			@Nullable HealthDrivenStatus health) {
		this.registration = registration;
		this.record = record;
		this.health = health;
	}

	private volatile boolean registered;

	private volatile Consumer<ServiceRecord> onRegistered = (record) -> {
	};

	/**
	 * Tell {@code onRegistered} the record once this instance registers it, for example to publish
	 * Spring Cloud's {@code InstanceRegisteredEvent}.
	 * @param onRegistered what to tell
	 */
	public void onRegistered(Consumer<ServiceRecord> onRegistered) {
		this.onRegistered = onRegistered;
	}

	@Override
	public void onApplicationEvent(AvailabilityChangeEvent<?> event) {
		if (event.getState() != ReadinessState.ACCEPTING_TRAFFIC || this.registered) {
			return;
		}
		this.registered = true;
		ServiceRecord record = this.record.get();
		if (record == null) {
			logger.info("Not registering this instance in service discovery: it has no web server port and no"
					+ " coordination.etcd.instance.port");
			return;
		}
		if (this.health != null) {
			this.registration.beforeRenewal(this.health::onRenewal);
			this.registration.onStop(this.health::stop);
			record = this.health.admit(record);
		}
		if (record != null) {
			// registered now, or written as soon as etcd answers
			this.registration.register(record);
			this.onRegistered.accept(record);
		}
		if (this.health != null) {
			this.health.start();
		}
	}

}
