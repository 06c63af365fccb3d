package dev.coordination.autoconfigure.discovery;

import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfigurationTests.StaticDiscoveryConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.internal.DiscoveryHealthIndicator;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code discovery} health indicator's auto-configuration, without etcd: the registration never
 * reaches etcd. Most tests use an in-memory catalog, which does not wait for etcd at start-up.
 */
class DiscoveryHealthContributorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				DiscoveryAutoConfiguration.class, DiscoveryHealthContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void healthIndicatorIsNamedDiscoveryAndIsUpWhileNothingIsMeantToBeRegistered() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(DiscoveryHealthIndicator.class).hasBean("discoveryHealthIndicator");
			Health health = context.getBean(DiscoveryHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("registered", false)
				.containsEntry("services", 0)
				.containsEntry("catalogRevision", 0L);
		});
	}

	@Test
	void registrationWaitingForEtcdIsUnknownWhichDoesNotTurnTheHealthDown() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("spring.application.name=orders", "coordination.etcd.instance.host=10.0.0.5",
					"coordination.etcd.instance.port=8080")
			.run((context) -> {
				AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
				Health health = context.getBean(DiscoveryHealthIndicator.class).health(true);
				assertThat(health.getStatus()).isEqualTo(Status.UNKNOWN);
				assertThat(health.getDetails()).containsEntry("registered", false)
					.containsEntry("serviceId", "orders")
					.containsEntry("instanceId", "orders-10.0.0.5-8080")
					.containsEntry("services", 1);
			});
	}

	@Test
	void notRegisteringIsUp() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("coordination.etcd.discovery.register=false")
			.run((context) -> {
				Health health = context.getBean(DiscoveryHealthIndicator.class).health(true);
				assertThat(health.getStatus()).isEqualTo(Status.UP);
				assertThat(health.getDetails()).containsEntry("registered", false);
			});
	}

	@Test
	void disabledByManagementProperty() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("management.health.discovery.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(DiscoveryHealthIndicator.class)
				.hasSingleBean(ServiceDiscovery.class));
	}

	@Test
	void disabledWithEveryDefaultHealthIndicator() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("management.health.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(DiscoveryHealthIndicator.class));
	}

	@Test
	void backsOffWhenDiscoveryIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.etcd.discovery.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(DiscoveryHealthIndicator.class));
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(DiscoveryHealthIndicator.class));
	}

	@Test
	void backsOffWithoutHealthAndActuatorAndDiscoveryRemains() {
		// imported as an application imports auto-configurations: without spring-boot-health, the
		// import filter drops the auto-configuration before its health condition is looked at
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms")
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(DiscoveryHealthIndicator.class)
				.hasSingleBean(ServiceDiscovery.class));
	}

	@Test
	void userDefinedBeanNamedDiscoveryHealthIndicatorMakesOursBackOff() {
		this.contextRunner.withUserConfiguration(StaticDiscoveryConfiguration.class)
			.withBean("discoveryHealthIndicator", HealthIndicator.class, () -> () -> Health.up().build())
			.run((context) -> assertThat(context).doesNotHaveBean(DiscoveryHealthIndicator.class)
				.hasBean("discoveryHealthIndicator"));
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			DiscoveryAutoConfiguration.class, DiscoveryHealthContributorAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

}
