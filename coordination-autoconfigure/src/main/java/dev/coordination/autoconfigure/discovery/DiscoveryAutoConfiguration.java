package dev.coordination.autoconfigure.discovery;

import dev.coordination.autoconfigure.ListenerBeans;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceChooser;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.internal.ApplicationHealth;
import dev.coordination.discovery.internal.AutoRegistration;
import dev.coordination.discovery.internal.DiscoveryMetrics;
import dev.coordination.discovery.internal.EtcdServiceCatalog;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.discovery.internal.HealthDrivenStatus;
import dev.coordination.discovery.internal.LocalServiceRecord;
import dev.coordination.discovery.internal.MicrometerDiscoveryMetrics;
import dev.coordination.discovery.internal.cloud.CurrentRegistration;
import dev.coordination.discovery.internal.cloud.EtcdDiscoveryClient;
import dev.coordination.discovery.internal.cloud.EtcdReactiveDiscoveryClient;
import dev.coordination.discovery.internal.cloud.EtcdServiceRegistry;
import dev.coordination.discovery.internal.cloud.HeartbeatPublisher;
import dev.coordination.discovery.internal.cloud.InFlightCalls;
import dev.coordination.discovery.internal.cloud.InFlightCallsWebClientPostProcessor;
import dev.coordination.discovery.internal.cloud.PassThroughLoadBalancerCacheManager;
import dev.coordination.discovery.internal.cloud.RegisteredEventPublisher;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.LocalInstance;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.thread.Threading;
import org.springframework.cloud.client.ConditionalOnBlockingDiscoveryEnabled;
import org.springframework.cloud.client.ConditionalOnDiscoveryEnabled;
import org.springframework.cloud.client.serviceregistry.AutoServiceRegistration;
import org.springframework.cloud.client.serviceregistry.Registration;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;
import org.springframework.cloud.loadbalancer.cache.LoadBalancerCacheManager;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * service discovery: the watch-fed catalog, this instance's registration on the session lease,
 * health-driven status, and the Spring Cloud Commons integration when it is on the classpath.
 */
@AutoConfiguration(after = SessionAutoConfiguration.class,
		afterName = { "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration",
				"org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration" })
@ConditionalOnBean(EtcdTemplate.class)
@ConditionalOnBooleanProperty(name = "coordination.etcd.discovery.enabled", matchIfMissing = true)
@EnableConfigurationProperties(DiscoveryProperties.class)
public final class DiscoveryAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(ServiceDiscovery.class)
	EtcdServiceCatalog serviceDiscovery(EtcdTemplate etcdTemplate, DiscoveryProperties properties,
			ObjectProvider<DiscoveryMetrics> metrics, CoordinationEvents events, RetryPolicy retryPolicy,
			WatchProgress watchProgress) {
		return new EtcdServiceCatalog(etcdTemplate, properties.keyPrefix(),
				metrics.getIfAvailable(() -> DiscoveryMetrics.NONE), events, retryPolicy, watchProgress);
	}

	@Bean
	static SmartInitializingSingleton discoveryListenerBeans(ObjectProvider<ServiceDiscovery> discovery,
			ObjectProvider<DiscoveryListener> listeners) {
		return ListenerBeans.register(discovery, listeners, ServiceDiscovery::addListener);
	}

	@Bean
	@ConditionalOnMissingBean
	InstanceChooser instanceChooser(ServiceDiscovery discovery) {
		return InstanceChooser.roundRobin(discovery);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(EtcdSession.class)
	@ConditionalOnBooleanProperty(name = "coordination.etcd.discovery.register", matchIfMissing = true)
	static class RegistrationConfiguration {

		@Bean
		@ConditionalOnMissingBean
		EtcdServiceRegistration serviceRegistration(EtcdTemplate etcdTemplate, EtcdSession session,
				DiscoveryProperties properties, ObjectProvider<DiscoveryMetrics> metrics, RetryPolicy retryPolicy) {
			return new EtcdServiceRegistration(etcdTemplate, session, properties.keyPrefix(),
					metrics.getIfAvailable(() -> DiscoveryMetrics.NONE), retryPolicy);
		}

		@Bean
		@ConditionalOnMissingBean
		LocalServiceRecord localServiceRecord(LocalInstance localInstance, DiscoveryProperties properties,
				ApplicationContext context) {
			return new LocalServiceRecord(localInstance, properties.getServiceId(), properties.isSecure(),
					properties.getZone(), context);
		}

		@Bean
		@ConditionalOnBooleanProperty(name = "spring.cloud.service-registry.auto-registration.enabled",
				matchIfMissing = true)
		AutoRegistration serviceAutoRegistration(EtcdServiceRegistration registration, LocalServiceRecord record,
				ObjectProvider<HealthDrivenStatus> health) {
			return new AutoRegistration(registration, record, health.getIfAvailable());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(value = HealthContributorRegistry.class,
			name = "org.springframework.boot.actuate.endpoint.SecurityContext")
	@ConditionalOnBean({ HealthContributorRegistry.class, EtcdSession.class })
	@ConditionalOnBooleanProperty(name = "coordination.etcd.discovery.register", matchIfMissing = true)
	@ConditionalOnBooleanProperty(name = "coordination.etcd.discovery.health.enabled", matchIfMissing = true)
	static class HealthDrivenStatusConfiguration {

		@Bean
		@ConditionalOnMissingBean
		HealthDrivenStatus healthDrivenStatus(EtcdServiceRegistration registration,
				HealthContributorRegistry contributors, ObjectProvider<HealthEndpointGroups> groups,
				DiscoveryProperties properties, Environment environment) {
			DiscoveryProperties.Health health = properties.getHealth();
			return new HealthDrivenStatus(registration,
					ApplicationHealth.of(contributors, groups.getIfAvailable(), health.getGroup()), health.getInterval(),
					health.getDownAction() == DiscoveryProperties.DownAction.DEREGISTER,
					Threading.VIRTUAL.isActive(environment));
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

		/**
		 * Spring Cloud LoadBalancer's default instance suppliers always ask for a
		 * {@code LoadBalancerCacheManager} and WARN on every service id when there is none; with its
		 * cache off (this starter's default) there is none. A cache that keeps nothing makes that
		 * choice explicit and the warning go away; the lookups still come from the catalog.
		 */
		@Configuration(proxyBeanMethods = false)
		@ConditionalOnClass(LoadBalancerCacheManager.class)
		@ConditionalOnBooleanProperty(name = "spring.cloud.loadbalancer.cache.enabled", havingValue = false)
		static class LoadBalancerConfiguration {

			// a CacheManager too: not a candidate for the application's (@EnableCaching, Spring Boot's
			// cache auto-configuration), as Spring Cloud LoadBalancer's own cache managers
			@Bean(autowireCandidate = false)
			@ConditionalOnMissingBean(LoadBalancerCacheManager.class)
			PassThroughLoadBalancerCacheManager etcdDiscoveryLoadBalancerCacheManager() {
				return new PassThroughLoadBalancerCacheManager();
			}

		}

		/**
		 * The instance chooser of {@code coordination.etcd.discovery.load-balancer}, as Spring
		 * Cloud plugs one in for every service: a default {@code LoadBalancerClients}
		 * configuration; a service's own {@code @LoadBalancerClient} configuration wins.
		 */
		@Configuration(proxyBeanMethods = false)
		@ConditionalOnClass(ReactorServiceInstanceLoadBalancer.class)
		@Conditional(LoadBalancerChoiceCondition.class)
		@LoadBalancerClients(defaultConfiguration = LoadBalancerClientsConfiguration.class)
		static class LoadBalancerChoiceConfiguration {

			@Bean
			@ConditionalOnMissingBean
			@Conditional(LoadBalancerChoiceCondition.LeastConnections.class)
			InFlightCalls discoveryInFlightCalls() {
				return new InFlightCalls();
			}

			@Configuration(proxyBeanMethods = false)
			@ConditionalOnClass(name = "org.springframework.web.reactive.function.client.WebClient")
			@Conditional(LoadBalancerChoiceCondition.LeastConnections.class)
			static class WebClientConfiguration {

				@Bean
				static InFlightCallsWebClientPostProcessor discoveryInFlightCallsWebClientPostProcessor() {
					return new InFlightCallsWebClientPostProcessor();
				}

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
			RegisteredEventPublisher discoveryRegisteredEventPublisher(EtcdServiceRegistration registration,
					CoordinationEvents events) {
				RegisteredEventPublisher publisher = new RegisteredEventPublisher(events);
				registration.onRegistered(publisher);
				return publisher;
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
