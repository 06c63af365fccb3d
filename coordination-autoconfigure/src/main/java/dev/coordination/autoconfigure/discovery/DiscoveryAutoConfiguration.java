package dev.coordination.autoconfigure.discovery;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;

import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceChooser;
import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.ApplicationHealth;
import dev.coordination.discovery.internal.AutoRegistration;
import dev.coordination.discovery.internal.DiscoveryMetrics;
import dev.coordination.discovery.internal.EtcdServiceCatalog;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.discovery.internal.HealthDrivenStatus;
import dev.coordination.discovery.internal.MicrometerDiscoveryMetrics;
import dev.coordination.discovery.internal.cloud.CurrentRegistration;
import dev.coordination.discovery.internal.cloud.EtcdDiscoveryClient;
import dev.coordination.discovery.internal.cloud.EtcdReactiveDiscoveryClient;
import dev.coordination.discovery.internal.cloud.EtcdServiceRegistry;
import dev.coordination.discovery.internal.cloud.HeartbeatPublisher;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.session.internal.EtcdSession;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.cloud.client.ConditionalOnBlockingDiscoveryEnabled;
import org.springframework.cloud.client.ConditionalOnDiscoveryEnabled;
import org.springframework.cloud.client.serviceregistry.AutoServiceRegistration;
import org.springframework.cloud.client.serviceregistry.Registration;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * service discovery: the watch-fed catalog, this instance's registration on the session lease,
 * health-driven status, and the Spring Cloud Commons integration when it is on the classpath.
 */
@AutoConfiguration(after = SessionAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration",
				"org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration" })
@ConditionalOnBean(EtcdTemplate.class)
@ConditionalOnBooleanProperty(name = "coordination.etcd.discovery.enabled", matchIfMissing = true)
@EnableConfigurationProperties(DiscoveryProperties.class)
public final class DiscoveryAutoConfiguration {

	private static final String PREFIX_PROPERTY = "coordination.etcd.discovery.prefix";

	@Bean
	@ConditionalOnMissingBean(ServiceDiscovery.class)
	EtcdServiceCatalog serviceDiscovery(EtcdTemplate etcdTemplate, DiscoveryProperties properties,
			ObjectProvider<DiscoveryMetrics> metrics, CoordinationEvents events, RetryPolicy retryPolicy) {
		return new EtcdServiceCatalog(etcdTemplate, prefix(properties), metrics.getIfAvailable(() -> DiscoveryMetrics.NONE),
				events, retryPolicy);
	}

	@Bean
	static SmartInitializingSingleton discoveryListenerBeans(ObjectProvider<ServiceDiscovery> discovery,
			ObjectProvider<DiscoveryListener> listeners) {
		// once every bean exists: a listener may depend on what depends on the catalog
		return () -> discovery.ifAvailable((catalog) -> listeners.orderedStream().forEach(catalog::addListener));
	}

	@Bean
	@ConditionalOnMissingBean
	InstanceChooser instanceChooser(ServiceDiscovery discovery) {
		return InstanceChooser.roundRobin(discovery);
	}

	private static String prefix(DiscoveryProperties properties) {
		try {
			return EtcdKeys.prefix(PREFIX_PROPERTY, properties.getPrefix());
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidConfigurationPropertyValueException(PREFIX_PROPERTY, properties.getPrefix(), ex.getMessage());
		}
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(EtcdSession.class)
	@ConditionalOnBooleanProperty(name = "coordination.etcd.discovery.register", matchIfMissing = true)
	static class RegistrationConfiguration {

		@Bean
		@ConditionalOnMissingBean
		EtcdServiceRegistration serviceRegistration(EtcdTemplate etcdTemplate, EtcdSession session,
				DiscoveryProperties properties, Environment environment, ApplicationContext context,
				ObjectProvider<DiscoveryMetrics> metrics, RetryPolicy retryPolicy) {
			if (properties.getPort() != null || isWebServerContext(context)) {
				// this instance will register: fail start-up now rather than when it is ready
				serviceId(properties, environment);
			}
			return new EtcdServiceRegistration(etcdTemplate, session, prefix(properties),
					metrics.getIfAvailable(() -> DiscoveryMetrics.NONE), retryPolicy);
		}

		@Bean
		@ConditionalOnBooleanProperty(name = "spring.cloud.service-registry.auto-registration.enabled",
				matchIfMissing = true)
		AutoRegistration serviceAutoRegistration(EtcdServiceRegistration registration, DiscoveryProperties properties,
				Environment environment, ObjectProvider<HealthDrivenStatus> health) {
			Instant startTime = Instant.now();
			return new AutoRegistration(registration, () -> record(properties, environment, startTime),
					health.getIfAvailable());
		}

		/**
		 * The record of this instance, or {@code null} when it has no port to be reached at (an
		 * application without a web server and without coordination.etcd.discovery.port).
		 */
		static ServiceRecord record(DiscoveryProperties properties, Environment environment, Instant startTime) {
			Integer port = properties.getPort();
			if (port == null) {
				port = environment.getProperty("local.server.port", Integer.class);
			}
			if (port == null || port <= 0) {
				return null;
			}
			if (port > 65535) {
				throw new InvalidConfigurationPropertyValueException("coordination.etcd.discovery.port", port,
						"Must be a port from 1 to 65535.");
			}
			String serviceId = serviceId(properties, environment);
			String host = StringUtils.hasText(properties.getHost()) ? properties.getHost()
					: localHost(properties.isPreferIpAddress());
			String instanceId = StringUtils.hasText(properties.getInstanceId()) ? properties.getInstanceId()
					: serviceId + "-" + host + "-" + port;
			return new ServiceRecord(instanceId, serviceId, host, port, properties.isSecure(), InstanceStatus.UP,
					properties.getZone(), startTime, properties.getMetadata());
		}

		private static boolean isWebServerContext(ApplicationContext context) {
			String type = "org.springframework.boot.web.server.context.WebServerApplicationContext";
			return ClassUtils.isPresent(type, context.getClassLoader())
					&& ClassUtils.resolveClassName(type, context.getClassLoader()).isInstance(context);
		}

		private static String serviceId(DiscoveryProperties properties, Environment environment) {
			String serviceId = StringUtils.hasText(properties.getServiceId()) ? properties.getServiceId()
					: environment.getProperty("spring.application.name");
			if (!StringUtils.hasText(serviceId)) {
				throw new InvalidConfigurationPropertyValueException("coordination.etcd.discovery.service-id", serviceId,
						"Registration needs a service id: set spring.application.name or"
								+ " coordination.etcd.discovery.service-id, or turn registration off with"
								+ " coordination.etcd.discovery.register=false.");
			}
			return serviceId;
		}

		private static String localHost(boolean preferIpAddress) {
			try {
				InetAddress local = InetAddress.getLocalHost();
				return preferIpAddress ? local.getHostAddress() : local.getHostName();
			}
			catch (UnknownHostException ex) {
				throw new InvalidConfigurationPropertyValueException("coordination.etcd.discovery.host", null,
						"This machine's host name does not resolve (" + ex.getMessage()
								+ "): set the host other instances reach this one at.");
			}
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(value = HealthContributorRegistry.class,
			name = "org.springframework.boot.actuate.endpoint.SecurityContext")
	@ConditionalOnBean({ HealthContributorRegistry.class, EtcdSession.class })
	@ConditionalOnBooleanProperty(name = "coordination.etcd.discovery.register", matchIfMissing = true)
	@ConditionalOnBooleanProperty(name = "coordination.etcd.discovery.health.enabled", matchIfMissing = true)
	static class HealthDrivenStatusConfiguration {

		private static final String GROUP_PROPERTY = "coordination.etcd.discovery.health.group";

		@Bean
		@ConditionalOnMissingBean
		HealthDrivenStatus healthDrivenStatus(EtcdServiceRegistration registration,
				HealthContributorRegistry contributors, ObjectProvider<HealthEndpointGroups> groups,
				DiscoveryProperties properties) {
			DiscoveryProperties.Health health = properties.getHealth();
			if (health.getInterval() == null || health.getInterval().isNegative() || health.getInterval().isZero()) {
				throw new InvalidConfigurationPropertyValueException("coordination.etcd.discovery.health.interval",
						health.getInterval(), "Must be a positive duration, for example 5s.");
			}
			ApplicationHealth applicationHealth;
			if (StringUtils.hasText(health.getGroup())) {
				HealthEndpointGroups available = groups.getIfAvailable();
				HealthEndpointGroup group = (available != null) ? available.get(health.getGroup()) : null;
				if (group == null) {
					throw new InvalidConfigurationPropertyValueException(GROUP_PROPERTY, health.getGroup(),
							"No such health group" + ((available != null) ? ": the groups are " + available.getNames()
									: ": health groups need actuator's health endpoint")
									+ ". Leave it unset to follow the whole health.");
				}
				applicationHealth = new ApplicationHealth(contributors, group::isMember, group.getStatusAggregator());
			}
			else {
				StatusAggregator aggregator = (groups.getIfAvailable() != null)
						? groups.getIfAvailable().getPrimary().getStatusAggregator() : StatusAggregator.getDefault();
				applicationHealth = new ApplicationHealth(contributors, (name) -> true, aggregator);
			}
			return new HealthDrivenStatus(registration, applicationHealth, health.getInterval(),
					health.getDownAction() == DiscoveryProperties.DownAction.DEREGISTER);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	@ConditionalOnBean(MeterRegistry.class)
	static class DiscoveryMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean(DiscoveryMetrics.class)
		MicrometerDiscoveryMetrics discoveryMetrics(MeterRegistry meterRegistry) {
			return new MicrometerDiscoveryMetrics(meterRegistry);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(org.springframework.cloud.client.discovery.DiscoveryClient.class)
	@ConditionalOnDiscoveryEnabled
	static class SpringCloudConfiguration {

		@Configuration(proxyBeanMethods = false)
		@ConditionalOnBlockingDiscoveryEnabled
		static class BlockingConfiguration {

			@Bean
			@ConditionalOnMissingBean
			EtcdDiscoveryClient etcdDiscoveryClient(ServiceDiscovery discovery) {
				return new EtcdDiscoveryClient(discovery);
			}

		}

		@Bean
		HeartbeatPublisher discoveryHeartbeatPublisher(ServiceDiscovery discovery, CoordinationEvents events) {
			HeartbeatPublisher heartbeats = new HeartbeatPublisher(events);
			if (discovery instanceof EtcdServiceCatalog catalog) {
				catalog.addRevisionListener(heartbeats);
			}
			return heartbeats;
		}

		@Configuration(proxyBeanMethods = false)
		@ConditionalOnBean(EtcdSession.class)
		@ConditionalOnBooleanProperty(name = "coordination.etcd.discovery.register", matchIfMissing = true)
		static class RegistryConfiguration {

			@Bean
			@ConditionalOnMissingBean
			EtcdServiceRegistry etcdServiceRegistry(EtcdServiceRegistration registration) {
				return new EtcdServiceRegistry(registration);
			}

			@Bean
			@ConditionalOnMissingBean(Registration.class)
			CurrentRegistration etcdRegistration(EtcdServiceRegistration registration) {
				return new CurrentRegistration(registration);
			}

			@Bean
			@ConditionalOnBooleanProperty(name = "spring.cloud.service-registry.auto-registration.enabled",
					matchIfMissing = true)
			AutoServiceRegistration etcdAutoServiceRegistration() {
				// the auto-registration itself is serviceAutoRegistration; this marks it for Spring Cloud's fail-fast check
				return new AutoServiceRegistration() {
				};
			}

		}

		@Configuration(proxyBeanMethods = false)
		@ConditionalOnClass(name = "reactor.core.publisher.Flux")
		// like Spring Cloud's own switch, without its need for WebClient: a reactive client is useful without it
		@ConditionalOnBooleanProperty(name = "spring.cloud.discovery.reactive.enabled", matchIfMissing = true)
		static class ReactiveConfiguration {

			@Bean
			@ConditionalOnMissingBean
			EtcdReactiveDiscoveryClient etcdReactiveDiscoveryClient(ServiceDiscovery discovery) {
				return new EtcdReactiveDiscoveryClient(discovery);
			}

		}

	}

}
