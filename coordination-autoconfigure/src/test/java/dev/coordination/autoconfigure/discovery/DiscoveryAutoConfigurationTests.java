package dev.coordination.autoconfigure.discovery;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceChooser;
import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.AutoRegistration;
import dev.coordination.discovery.internal.DiscoveryMetrics;
import dev.coordination.discovery.internal.EtcdServiceCatalog;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.discovery.internal.HealthDrivenStatus;
import dev.coordination.discovery.internal.LocalServiceRecord;
import dev.coordination.discovery.internal.MicrometerDiscoveryMetrics;
import dev.coordination.discovery.internal.cloud.HeartbeatPublisher;
import dev.coordination.discovery.internal.cloud.InFlightCalls;
import dev.coordination.discovery.internal.cloud.InFlightCallsWebClientPostProcessor;
import dev.coordination.session.internal.EtcdSession;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClientSpecification;
import org.springframework.cloud.loadbalancer.cache.LoadBalancerCacheManager;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryClient;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryProperties;
import org.springframework.cloud.client.serviceregistry.AutoServiceRegistration;
import org.springframework.cloud.client.serviceregistry.Registration;
import org.springframework.cloud.client.serviceregistry.ServiceRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Service discovery's auto-configuration without etcd: the catalog stays empty and the
 * registration waits for a lease that never comes.
 * <p>
 * Without etcd the catalog waits for its first read (request timeout + 1 s) when it starts; tests
 * about what sits on top of the catalog (the Spring Cloud integration, listeners) use an in-memory
 * {@link ServiceDiscovery} of their own to stay fast.
 */
class DiscoveryAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				DiscoveryAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void catalogRegistrationAndSpringCloudIntegrationAreDefinedByDefault() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(ServiceDiscovery.class)
				.hasSingleBean(EtcdServiceCatalog.class)
				.hasSingleBean(InstanceChooser.class)
				.hasSingleBean(EtcdServiceRegistration.class)
				.hasSingleBean(LocalServiceRecord.class)
				.hasSingleBean(AutoRegistration.class)
				.hasSingleBean(DiscoveryClient.class)
				.hasSingleBean(ReactiveDiscoveryClient.class)
				.hasSingleBean(ServiceRegistry.class)
				.hasSingleBean(Registration.class)
				.hasSingleBean(AutoServiceRegistration.class)
				.hasSingleBean(HeartbeatPublisher.class)
				.doesNotHaveBean(HealthDrivenStatus.class)
				.doesNotHaveBean(DiscoveryMetrics.class);
			assertThat(context.getBean(ServiceDiscovery.class).services()).isEmpty();
			assertThat(context.getBean(DiscoveryClient.class).getServices()).isEmpty();
			assertThat(context.getBean(InstanceChooser.class).choose("orders")).isEmpty();
		});
	}

	@Test
	void disabledByProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.discovery.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(EtcdSession.class)
				.doesNotHaveBean(ServiceDiscovery.class)
				.doesNotHaveBean(InstanceChooser.class)
				.doesNotHaveBean(EtcdServiceRegistration.class)
				.doesNotHaveBean(AutoRegistration.class)
				.doesNotHaveBean(DiscoveryClient.class)
				.doesNotHaveBean(ServiceRegistry.class)
				.doesNotHaveBean(DiscoveryProperties.class));
	}

	@Test
	void disabledDiscoveryDoesNotValidateItsProperties() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.discovery.enabled=false", "coordination.etcd.discovery.prefix=services")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(ServiceDiscovery.class)
				.doesNotHaveBean(EtcdServiceRegistration.class)
				.doesNotHaveBean(DiscoveryClient.class)
				.doesNotHaveBean(HeartbeatPublisher.class));
	}

	@Test
	void registerFalseKeepsTheCatalogAndTheClientsButRegistersNothing() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("coordination.etcd.discovery.register=false")
			.run((context) -> assertThat(context).hasSingleBean(ServiceDiscovery.class)
				.hasSingleBean(InstanceChooser.class)
				.hasSingleBean(DiscoveryClient.class)
				.hasSingleBean(ReactiveDiscoveryClient.class)
				.hasSingleBean(HeartbeatPublisher.class)
				.doesNotHaveBean(EtcdServiceRegistration.class)
				.doesNotHaveBean(LocalServiceRecord.class)
				.doesNotHaveBean(AutoRegistration.class)
				.doesNotHaveBean(ServiceRegistry.class)
				.doesNotHaveBean(Registration.class)
				.doesNotHaveBean(AutoServiceRegistration.class));
	}

	@Test
	void autoRegistrationDisabledKeepsTheServiceRegistryButDoesNotRegisterByItself() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.cloud.service-registry.auto-registration.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(EtcdServiceRegistration.class)
				.hasSingleBean(ServiceRegistry.class)
				.hasSingleBean(Registration.class)
				.doesNotHaveBean(AutoRegistration.class)
				.doesNotHaveBean(AutoServiceRegistration.class));
	}

	@Test
	void roundRobinLeavesSpringCloudLoadBalancerAsItIs() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class).run((context) -> assertThat(context)
			.hasNotFailed()
			.doesNotHaveBean(InFlightCalls.class)
			.doesNotHaveBean(InFlightCallsWebClientPostProcessor.class)
			.doesNotHaveBean(LoadBalancerClientSpecification.class));
	}

	@Test
	void leastConnectionsIsEveryServicesDefaultLoadBalancerConfigurationWithTheCountsAndTheWebClientFilter() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("coordination.etcd.discovery.load-balancer=least-connections")
			.run((context) -> {
				assertThat(context).hasSingleBean(InFlightCalls.class)
					.hasSingleBean(InFlightCallsWebClientPostProcessor.class);
				assertThat(context.getBeansOfType(LoadBalancerClientSpecification.class).values()).singleElement()
					.satisfies((specification) -> {
						assertThat(specification.getName()).startsWith("default.");
						assertThat(specification.getConfiguration()).containsExactly(LoadBalancerClientsConfiguration.class);
					});
			});
	}

	@Test
	void randomIsEveryServicesDefaultLoadBalancerConfigurationWithoutCounting() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("coordination.etcd.discovery.load-balancer=RANDOM")
			.run((context) -> {
				assertThat(context).hasSingleBean(LoadBalancerClientSpecification.class)
					.doesNotHaveBean(InFlightCalls.class)
					.doesNotHaveBean(InFlightCallsWebClientPostProcessor.class);
			});
	}

	@Test
	void withoutSpringCloudLoadBalancerTheChoiceChangesNothing() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withClassLoader(new FilteredClassLoader(ReactorServiceInstanceLoadBalancer.class))
			.withPropertyValues("coordination.etcd.discovery.load-balancer=least-connections")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(InFlightCalls.class)
				.doesNotHaveBean(LoadBalancerClientSpecification.class));
	}

	@Test
	void withoutWebFluxLeastConnectionsCountsWithoutTheWebClientFilter() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withClassLoader(new FilteredClassLoader("org.springframework.web.reactive"))
			.withPropertyValues("coordination.etcd.discovery.load-balancer=least-connections")
			.run((context) -> assertThat(context).hasSingleBean(InFlightCalls.class)
				.doesNotHaveBean(InFlightCallsWebClientPostProcessor.class));
	}

	@Test
	void withTheLoadBalancerCacheOffAPassThroughCacheManagerKeepsLoadBalancerFromWarning() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.cloud.loadbalancer.cache.enabled=false")
			.run((context) -> {
				assertThat(context).hasSingleBean(LoadBalancerCacheManager.class);
				LoadBalancerCacheManager caches = context.getBean(LoadBalancerCacheManager.class);
				caches.getCache("CachingServiceInstanceListSupplierCache").put("orders", List.of("one"));
				assertThat(caches.getCache("CachingServiceInstanceListSupplierCache").get("orders")).isNull();
			});
	}

	@Test
	void withTheLoadBalancerCacheOnOrAnotherCacheManagerNoPassThroughCacheManager() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.run((context) -> assertThat(context).doesNotHaveBean(LoadBalancerCacheManager.class));
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.cloud.loadbalancer.cache.enabled=false")
			.withBean("userCacheManager", LoadBalancerCacheManager.class, TestLoadBalancerCacheManager::new)
			.run((context) -> assertThat(context).hasSingleBean(LoadBalancerCacheManager.class)
				.hasBean("userCacheManager"));
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.cloud.loadbalancer.cache.enabled=false")
			.withClassLoader(new FilteredClassLoader("org.springframework.cloud.loadbalancer"))
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(DiscoveryClient.class));
	}

	@Test
	void thePassThroughCacheManagerLeavesTheApplicationsCacheManagerAlone() {
		// it is a CacheManager too: @EnableCaching must still find the application's as the only one
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class, CachingConfiguration.class)
			.withPropertyValues("spring.cloud.loadbalancer.cache.enabled=false")
			.withBean("cacheManager", org.springframework.cache.CacheManager.class,
					org.springframework.cache.concurrent.ConcurrentMapCacheManager::new)
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(LoadBalancerCacheManager.class);
				assertThat(context.getBean(org.springframework.cache.CacheManager.class))
					.isSameAs(context.getBean("cacheManager"));
			});
	}

	@Configuration(proxyBeanMethods = false)
	@org.springframework.cache.annotation.EnableCaching
	static class CachingConfiguration {

	}

	static class TestLoadBalancerCacheManager extends org.springframework.cache.concurrent.ConcurrentMapCacheManager
			implements LoadBalancerCacheManager {

	}

	@Test
	void springCloudDiscoveryDisabledKeepsTheStartersOwnDiscoveryAndRegistration() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.cloud.discovery.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(ServiceDiscovery.class)
				.hasSingleBean(InstanceChooser.class)
				.hasSingleBean(EtcdServiceRegistration.class)
				.hasSingleBean(AutoRegistration.class)
				.doesNotHaveBean(DiscoveryClient.class)
				.doesNotHaveBean(ReactiveDiscoveryClient.class)
				.doesNotHaveBean(ServiceRegistry.class)
				.doesNotHaveBean(Registration.class)
				.doesNotHaveBean(AutoServiceRegistration.class)
				.doesNotHaveBean(HeartbeatPublisher.class));
	}

	@Test
	void blockingDiscoveryDisabledKeepsTheReactiveClient() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.cloud.discovery.blocking.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(DiscoveryClient.class)
				.hasSingleBean(ReactiveDiscoveryClient.class)
				.hasSingleBean(ServiceRegistry.class));
	}

	@Test
	void reactiveDiscoveryDisabledKeepsTheBlockingClient() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.cloud.discovery.reactive.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(DiscoveryClient.class)
				.doesNotHaveBean(ReactiveDiscoveryClient.class));
	}

	@Test
	void withoutSpringCloudCommonsServiceDiscoveryAndRegistrationRemainWithoutSpringCloudBeans() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("org.springframework.cloud"))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(ServiceDiscovery.class)
				.hasSingleBean(InstanceChooser.class)
				.hasSingleBean(EtcdServiceRegistration.class)
				.hasSingleBean(AutoRegistration.class)
				.doesNotHaveBean(DiscoveryClient.class)
				.doesNotHaveBean(ReactiveDiscoveryClient.class)
				.doesNotHaveBean(ServiceRegistry.class)
				.doesNotHaveBean(Registration.class)
				.doesNotHaveBean(AutoServiceRegistration.class)
				.doesNotHaveBean(HeartbeatPublisher.class));
	}

	@Test
	void withoutReactorNoReactiveClientButTheBlockingOneStays() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("reactor.core"))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(ServiceDiscovery.class)
				.hasSingleBean(DiscoveryClient.class)
				.doesNotHaveBean(ReactiveDiscoveryClient.class));
	}

	@Test
	void micrometerDiscoveryMetricsWhenAMeterRegistryExists() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> assertThat(context).hasSingleBean(MicrometerDiscoveryMetrics.class));
	}

	@Test
	void userDefinedDiscoveryMetricsMakeOursBackOff() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withBean("userDiscoveryMetrics", DiscoveryMetrics.class, () -> DiscoveryMetrics.NONE)
			.run((context) -> assertThat(context).doesNotHaveBean(MicrometerDiscoveryMetrics.class)
				.hasSingleBean(DiscoveryMetrics.class));
	}

	@Test
	void withoutMicrometerNoMetricsAndDiscoveryStillWorks() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(DiscoveryMetrics.class)
				.hasSingleBean(ServiceDiscovery.class)
				.hasSingleBean(AutoRegistration.class)
				.hasSingleBean(DiscoveryClient.class));
	}

	@Test
	void healthDrivenStatusWhenTheApplicationHasHealthContributors() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class))
			.run((context) -> assertThat(context).hasSingleBean(HealthDrivenStatus.class));
	}

	@Test
	void healthDrivenStatusFollowsTheApplicationsHealthButNotTheStartersOwnIndicators() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class))
			.withUserConfiguration(SwitchableHealthConfiguration.class)
			.withBean("etcdHealthIndicator", HealthIndicator.class, () -> () -> Health.down().build())
			.run((context) -> {
				HealthDrivenStatus status = context.getBean(HealthDrivenStatus.class);
				assertThat(status.statusNow()).isEqualTo(InstanceStatus.UP);
				context.getBean(SwitchableHealthConfiguration.class).status.set(Status.OUT_OF_SERVICE);
				assertThat(status.statusNow()).isEqualTo(InstanceStatus.DOWN);
			});
	}

	@Test
	void healthDrivenStatusFollowsTheConfiguredHealthGroup() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class,
					HealthEndpointAutoConfiguration.class))
			.withUserConfiguration(SwitchableHealthConfiguration.class)
			.withBean("diskHealthIndicator", HealthIndicator.class, () -> () -> Health.down().build())
			.withPropertyValues("management.endpoint.health.group.traffic.include=db",
					"coordination.etcd.discovery.health.group=traffic")
			.run((context) -> {
				HealthDrivenStatus status = context.getBean(HealthDrivenStatus.class);
				assertThat(status.statusNow()).isEqualTo(InstanceStatus.UP);
				context.getBean(SwitchableHealthConfiguration.class).status.set(Status.DOWN);
				assertThat(status.statusNow()).isEqualTo(InstanceStatus.DOWN);
			});
	}

	@Test
	void unknownHealthGroupFailsNamingTheProperty() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class,
					HealthEndpointAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.discovery.health.group=nope")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.discovery.health.group")
				.hasMessageContaining("No such health group"));
	}

	@Test
	void healthGroupWithoutTheHealthEndpointFailsNamingTheProperty() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.discovery.health.group=readiness")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.discovery.health.group")
				.hasMessageContaining("need actuator's health endpoint"));
	}

	@Test
	void healthDrivenStatusDisabledByProperty() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.discovery.health.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(HealthDrivenStatus.class)
				.hasSingleBean(AutoRegistration.class));
	}

	@Test
	void noHealthDrivenStatusWhenNotRegistering() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.discovery.register=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(HealthDrivenStatus.class));
	}

	@Test
	void withHealthButWithoutActuatorNoHealthDrivenStatusButTheRegistrationStays() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(HealthDrivenStatus.class)
				.hasSingleBean(AutoRegistration.class));
	}

	@Test
	void withoutHealthAndActuatorNoHealthDrivenStatusAndEverythingElseWorks() {
		// imported as an application imports auto-configurations
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms")
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(HealthDrivenStatus.class)
				.hasSingleBean(ServiceDiscovery.class)
				.hasSingleBean(AutoRegistration.class)
				.hasSingleBean(DiscoveryClient.class)
				.hasSingleBean(ServiceRegistry.class));
	}

	@Test
	void userDefinedServiceDiscoveryMakesTheCatalogBackOffAndEverythingAnswersFromIt() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(ServiceDiscovery.class).doesNotHaveBean(EtcdServiceCatalog.class);
			assertThat(context.getBean(DiscoveryClient.class).getServices()).containsExactly("orders");
			assertThat(context.getBean(DiscoveryClient.class).getInstances("orders"))
				.extracting((instance) -> instance.getUri().toString())
				.containsExactly("http://10.0.0.7:8080");
			assertThat(context.getBean(ReactiveDiscoveryClient.class).getServices().collectList().block())
				.containsExactly("orders");
			assertThat(context.getBean(InstanceChooser.class).choose("orders")).map(ServiceRecord::instanceId)
				.contains("orders-1");
		});
	}

	@Test
	void userDefinedInstanceChooserMakesOursBackOff() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withBean("userChooser", InstanceChooser.class, () -> (serviceId) -> Optional.empty())
			.run((context) -> assertThat(context).hasSingleBean(InstanceChooser.class).hasBean("userChooser"));
	}

	@Test
	void userDefinedDiscoveryClientSitsNextToOursForSpringCloudsCompositeClient() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withBean("userDiscoveryClient", DiscoveryClient.class,
					() -> new SimpleDiscoveryClient(new SimpleDiscoveryProperties()))
			.run((context) -> assertThat(context.getBeansOfType(DiscoveryClient.class)).hasSize(2)
				.containsKey("userDiscoveryClient")
				.containsKey("etcdDiscoveryClient"));
	}

	@Test
	void userDefinedRegistrationMakesOursBackOff() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withBean("userRegistration", Registration.class, () -> new UserRegistration())
			.run((context) -> assertThat(context).hasSingleBean(Registration.class)
				.hasBean("userRegistration")
				.hasSingleBean(ServiceRegistry.class));
	}

	@Test
	void discoveryListenerBeansAreRegisteredWithTheCatalogInOrder() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class, DiscoveryListenersConfiguration.class)
			.run((context) -> assertThat(context.getBean(StaticDiscovery.class).added).containsExactly(
					context.getBean("firstDiscoveryListener", DiscoveryListener.class),
					context.getBean("secondDiscoveryListener", DiscoveryListener.class)));
	}

	@Test
	void localRecordIsBuiltFromTheInstanceAndDiscoveryProperties() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.application.name=orders", "coordination.etcd.instance.host=10.0.0.5",
					"coordination.etcd.instance.port=8443", "coordination.etcd.instance.metadata.team=billing",
					"coordination.etcd.discovery.zone=eu-1", "coordination.etcd.discovery.secure=true")
			.run((context) -> {
				ServiceRecord record = context.getBean(LocalServiceRecord.class).get();
				assertThat(record).isNotNull();
				assertThat(record.serviceId()).isEqualTo("orders");
				assertThat(record.instanceId()).isEqualTo("orders-10.0.0.5-8443");
				assertThat(record.uri()).hasToString("https://10.0.0.5:8443");
				assertThat(record.zone()).isEqualTo("eu-1");
				assertThat(record.status()).isEqualTo(InstanceStatus.UP);
				assertThat(record.metadata()).containsEntry("team", "billing");
			});
	}

	@Test
	void configuredServiceIdWinsOverTheApplicationName() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.application.name=orders-app", "coordination.etcd.discovery.service-id=orders",
					"coordination.etcd.instance.port=8080")
			.run((context) -> assertThat(context.getBean(LocalServiceRecord.class).get().serviceId())
				.isEqualTo("orders"));
	}

	@Test
	void applicationWithoutPortOrWebServerHasNoRecordAndNeedsNoServiceId() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(LocalServiceRecord.class).get()).isNull();
		});
	}

	@Test
	void portWithoutServiceIdFailsNamingTheServiceIdProperty() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("coordination.etcd.instance.port=8080")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.discovery.service-id")
				.hasMessageContaining("spring.application.name"));
	}

	@Test
	void readyApplicationRegistersItsRecordAndWaitsForTheSession() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.application.name=orders", "coordination.etcd.instance.host=10.0.0.5",
					"coordination.etcd.instance.port=8080")
			.run((context) -> {
				Registration registration = context.getBean(Registration.class);
				assertThatIllegalStateException().isThrownBy(registration::getServiceId)
					.withMessageContaining("not registered");
				AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
				EtcdServiceRegistration etcdRegistration = context.getBean(EtcdServiceRegistration.class);
				assertThat(etcdRegistration.registration()).map(ServiceRecord::instanceId).contains("orders-10.0.0.5-8080");
				assertThat(etcdRegistration.isRegistered()).isFalse();
				assertThat(registration.getServiceId()).isEqualTo("orders");
				assertThat(registration.getUri()).hasToString("http://10.0.0.5:8080");
			});
	}

	@Test
	void prefixWithoutLeadingSlashFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.discovery.prefix=services", "coordination.etcd.discovery.prefix",
				"Must start with '/'");
	}

	@Test
	void emptyPrefixFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.discovery.prefix=", "coordination.etcd.discovery.prefix", "Must start with '/'");
	}

	@Test
	void zeroHealthIntervalFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.discovery.health.interval=0s", "coordination.etcd.discovery.health.interval",
				"positive duration");
	}

	@Test
	void negativeHealthIntervalFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.discovery.health.interval=-5s", "coordination.etcd.discovery.health.interval",
				"positive duration");
	}

	@Test
	void unknownDownActionFailsNamingTheProperty() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("coordination.etcd.discovery.health.down-action=reboot")
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("coordination.etcd.discovery.health.down-action"));
	}

	private void assertInvalid(String property, String name, String reason) {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues(property)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining(name)
				.hasMessageContaining(reason));
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			DiscoveryAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

	@Configuration(proxyBeanMethods = false)
	static class StaticDiscoveryConfiguration {

		@Bean
		StaticDiscovery staticDiscovery() {
			return new StaticDiscovery();
		}

	}

	/**
	 * A catalog of the application's own with one instance of {@code orders}, recording which
	 * listeners were added.
	 */
	static class StaticDiscovery implements ServiceDiscovery {

		private final ServiceRecord record = new ServiceRecord("orders-1", "orders", "10.0.0.7", 8080, false,
				InstanceStatus.UP, null, Instant.EPOCH, Map.of());

		final List<DiscoveryListener> added = new CopyOnWriteArrayList<>();

		@Override
		public List<ServiceRecord> instances(String serviceId) {
			return allInstances(serviceId);
		}

		@Override
		public List<ServiceRecord> allInstances(String serviceId) {
			return "orders".equals(serviceId) ? List.of(this.record) : List.of();
		}

		@Override
		public Set<String> services() {
			return Set.of("orders");
		}

		@Override
		public long revision() {
			return 1;
		}

		@Override
		public void addListener(DiscoveryListener listener) {
			this.added.add(listener);
		}

		@Override
		public void removeListener(DiscoveryListener listener) {
			this.added.remove(listener);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class DiscoveryListenersConfiguration {

		@Bean
		@Order(2)
		DiscoveryListener secondDiscoveryListener() {
			return new DiscoveryListener() {
			};
		}

		@Bean
		@Order(1)
		DiscoveryListener firstDiscoveryListener(ServiceDiscovery discovery) {
			// depends on the catalog it listens to: registered once every bean exists
			return new DiscoveryListener() {
			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SwitchableHealthConfiguration {

		final AtomicReference<Status> status = new AtomicReference<>(Status.UP);

		@Bean
		HealthIndicator dbHealthIndicator() {
			return () -> Health.status(this.status.get()).build();
		}

	}

	static class UserRegistration implements Registration {

		@Override
		public String getServiceId() {
			return "orders";
		}

		@Override
		public String getHost() {
			return "10.0.0.9";
		}

		@Override
		public int getPort() {
			return 8080;
		}

		@Override
		public boolean isSecure() {
			return false;
		}

		@Override
		public URI getUri() {
			return URI.create("http://10.0.0.9:8080");
		}

		@Override
		public Map<String, String> getMetadata() {
			return Map.of();
		}

	}

}
