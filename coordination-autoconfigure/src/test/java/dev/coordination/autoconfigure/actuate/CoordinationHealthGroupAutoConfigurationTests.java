package dev.coordination.autoconfigure.actuate;

import dev.coordination.actuate.internal.CoordinationHealthGroups;
import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfiguration;
import dev.coordination.autoconfigure.discovery.DiscoveryHealthContributorAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionHealthContributorAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdHealthContributorAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionHealthContributorAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code coordination} health group's auto-configuration, without etcd.
 */
class CoordinationHealthGroupAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, CoordinationHealthGroupAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void healthGroupsPostProcessorIsDefined() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(CoordinationHealthGroups.class));
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(CoordinationHealthGroups.class));
	}

	@Test
	void userDefinedHealthGroupsPostProcessorMakesOursBackOff() {
		this.contextRunner.withBean("userHealthGroups", CoordinationHealthGroups.class, CoordinationHealthGroups::new)
			.run((context) -> assertThat(context).hasSingleBean(CoordinationHealthGroups.class)
				.hasBean("userHealthGroups"));
	}

	@Test
	void withoutHealthAndActuatorNoGroupAndTheTemplateRemains() {
		// imported as an application imports auto-configurations
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1")
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(CoordinationHealthGroups.class)
				.hasSingleBean(EtcdTemplate.class));
	}

	@Test
	void healthEndpointHasACoordinationGroupOfExactlyTheStartersHealthComponents() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(SessionAutoConfiguration.class, ElectionAutoConfiguration.class,
					DiscoveryAutoConfiguration.class, EtcdHealthContributorAutoConfiguration.class,
					SessionHealthContributorAutoConfiguration.class, ElectionHealthContributorAutoConfiguration.class,
					DiscoveryHealthContributorAutoConfiguration.class, HealthContributorRegistryAutoConfiguration.class,
					HealthEndpointAutoConfiguration.class))
			.withBean("dbHealthIndicator", HealthIndicator.class, () -> () -> Health.up().build())
			.run((context) -> {
				HealthContributorRegistry registry = context.getBean(HealthContributorRegistry.class);
				HealthEndpointGroup group = context.getBean(HealthEndpointGroups.class).get(CoordinationHealthGroups.GROUP);
				assertThat(group).isNotNull();
				registry.stream().forEach((entry) -> assertThat(group.isMember(entry.name()))
					.as(entry.name())
					.isEqualTo(!entry.name().equals("db")));
				assertThat(registry.stream()).extracting((entry) -> entry.name())
					.containsExactlyInAnyOrder("etcd", "coordinationSession", "elections", "discovery", "db");
				assertThat(group.isMember("elections/default")).isTrue();
				assertThat(group.isMember("etcdConfig")).isTrue();
				assertThat(group.isMember("shards/orders")).isTrue();
			});
	}

	@Test
	void groupNamedCoordinationDefinedByTheApplicationReplacesOurs() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class,
					HealthEndpointAutoConfiguration.class, EtcdHealthContributorAutoConfiguration.class))
			.withBean("dbHealthIndicator", HealthIndicator.class, () -> () -> Health.up().build())
			.withPropertyValues("management.endpoint.health.group.coordination.include=db")
			.run((context) -> {
				HealthEndpointGroup group = context.getBean(HealthEndpointGroups.class).get(CoordinationHealthGroups.GROUP);
				assertThat(group.isMember("db")).isTrue();
				assertThat(group.isMember("etcd")).isFalse();
			});
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, CoordinationHealthGroupAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

}
