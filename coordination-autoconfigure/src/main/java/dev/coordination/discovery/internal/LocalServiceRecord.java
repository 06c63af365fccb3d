package dev.coordination.discovery.internal;

import java.time.Instant;
import java.util.function.Supplier;

import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.session.internal.InstanceIdentity;
import dev.coordination.session.internal.LocalInstance;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.ApplicationContext;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * The service record of this instance: its identity ({@code coordination.etcd.instance.*}) under its
 * service id, with its scheme, zone and start time. An instance that will register (a web
 * application, or one with a configured port) must have a service id: checked when this is created,
 * so that start-up fails rather than the registration later.
 */
public final class LocalServiceRecord implements Supplier<@Nullable ServiceRecord> {

	private static final String WEB_SERVER_CONTEXT = "org.springframework.boot.web.server.context.WebServerApplicationContext";

	private final LocalInstance instance;

	private final @Nullable String serviceId;

	private final ApplicationContext context;

	private final boolean secure;

	private final @Nullable String zone;

	private final Instant startTime = Instant.now();

	/**
	 * Create the record's source.
	 * @param instance this instance's identity
	 * @param serviceId the configured service id, or {@code null} for {@code spring.application.name}
	 * @param secure whether the instance is reached over https
	 * @param zone its zone, or {@code null}
	 * @param context the application
	 * @throws InvalidConfigurationPropertyValueException when this instance will register and has no
	 * service id
	 */
	public LocalServiceRecord(LocalInstance instance, @Nullable String serviceId, boolean secure,
			@Nullable String zone, ApplicationContext context) {
		this.instance = instance;
		this.serviceId = serviceId;
		this.secure = secure;
		this.zone = zone;
		this.context = context;
		if (instance.isPortConfigured() || isWebServerContext(context)) {
			serviceId();
		}
	}

	/**
	 * The record of this instance now.
	 * @return the record, or {@code null} when it has no port to be reached at (an application
	 * without a web server and without {@code coordination.etcd.instance.port})
	 */
	@Override
	public @Nullable ServiceRecord get() {
		if (this.instance.port() <= 0) {
			return null;
		}
		InstanceIdentity identity = this.instance.identity();
		return new ServiceRecord(identity.instanceId(), serviceId(), identity.host(), identity.port(), this.secure,
				InstanceStatus.UP, this.zone, this.startTime, identity.metadata());
	}

	private String serviceId() {
		String serviceId = StringUtils.hasText(this.serviceId) ? this.serviceId
				: this.context.getEnvironment().getProperty("spring.application.name");
		if (!StringUtils.hasText(serviceId)) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.discovery.service-id", serviceId,
					"Registration needs a service id: set spring.application.name or"
							+ " coordination.etcd.discovery.service-id, or turn registration off with"
							+ " coordination.etcd.discovery.register=false.");
		}
		return serviceId;
	}

	private static boolean isWebServerContext(ApplicationContext context) {
		return ClassUtils.isPresent(WEB_SERVER_CONTEXT, context.getClassLoader())
				&& ClassUtils.resolveClassName(WEB_SERVER_CONTEXT, context.getClassLoader()).isInstance(context);
	}

}
