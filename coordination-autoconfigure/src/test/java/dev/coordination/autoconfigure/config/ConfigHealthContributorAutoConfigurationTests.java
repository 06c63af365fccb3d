package dev.coordination.autoconfigure.config;

import java.util.List;

import dev.coordination.autoconfigure.config.ConfigAutoConfigurationTests.ImportedConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.config.internal.ConfigHealthIndicator;
import dev.coordination.config.internal.EtcdConfigWatcher;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code etcdConfig} health indicator's auto-configuration, without etcd: the import is
 * simulated as in {@link ConfigAutoConfigurationTests}, as an {@code optional:etcd:} import
 * leaves it when etcd does not answer.
 */
class ConfigHealthContributorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, ConfigAutoConfiguration.class,
				ConfigHealthContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + ConfigAutoConfigurationTests.ENDPOINT,
				"coordination.etcd.request-timeout=200ms");

	@Test
	void healthIndicatorIsNamedEtcdConfigWhenConfigurationWasImported() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.withConfiguration(AutoConfigurations.of(HealthContributorRegistryAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).hasSingleBean(ConfigHealthIndicator.class).hasBean("etcdConfigHealthIndicator");
				assertThat(context.getBean(HealthContributorRegistry.class).getContributor("etcdConfig"))
					.isSameAs(context.getBean(ConfigHealthIndicator.class));
			});
	}

	@Test
	void importedConfigurationThatEtcdDidNotGiveYetIsUnknownAndWaiting() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class).run((context) -> {
			Health health = context.getBean(ConfigHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UNKNOWN);
			assertThat(health.getDetails()).containsEntry("state", "waiting")
				.containsEntry("revision", 0L)
				.containsEntry("contexts", List.of("/config/application/"));
		});
	}

	@Test
	void noHealthIndicatorWithoutAnImport() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.doesNotHaveBean(ConfigHealthIndicator.class)
			.doesNotHaveBean("etcdConfigHealthIndicator"));
	}

	@Test
	void disabledByManagementProperty() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.withPropertyValues("management.health.etcd-config.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ConfigHealthIndicator.class)
				.hasSingleBean(EtcdConfigWatcher.class));
	}

	@Test
	void disabledWithEveryDefaultHealthIndicator() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.withPropertyValues("management.health.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ConfigHealthIndicator.class));
	}

	@Test
	void enabledByManagementPropertyWhenEveryDefaultHealthIndicatorIsDisabled() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.withPropertyValues("management.health.defaults.enabled=false", "management.health.etcd-config.enabled=true")
			.run((context) -> assertThat(context).hasSingleBean(ConfigHealthIndicator.class));
	}

	@Test
	void watchDisabledKeepsTheHealthIndicator() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.withPropertyValues("coordination.etcd.config.watch.enabled=false")
			.run((context) -> {
				assertThat(context).doesNotHaveBean(EtcdConfigWatcher.class).hasSingleBean(ConfigHealthIndicator.class);
				assertThat(context.getBean(ConfigHealthIndicator.class).health(true).getDetails())
					.containsEntry("state", "waiting");
			});
	}

	@Test
	void backsOffWhenTheStarterIsDisabledWithoutAnImport() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ConfigHealthIndicator.class));
	}

	@Test
	void userDefinedBeanNamedEtcdConfigHealthIndicatorMakesOursBackOff() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.withBean("etcdConfigHealthIndicator", HealthIndicator.class, () -> () -> Health.up().build())
			.run((context) -> assertThat(context).doesNotHaveBean(ConfigHealthIndicator.class)
				.hasBean("etcdConfigHealthIndicator"));
	}

	@Test
	void withoutHealthTheIndicatorBacksOffAndTheImportIsStillWatched() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean("etcdConfigHealthIndicator")
				.hasSingleBean(EtcdConfigWatcher.class));
	}

	@Test
	void backsOffWithoutHealthAndActuatorAndTheImportIsStillWatched() {
		// imported as an application imports auto-configurations: without spring-boot-health, the
		// import filter drops the auto-configuration before its health condition is looked at
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class, ImportedConfiguration.class)
			.withPropertyValues("coordination.etcd.endpoints=" + ConfigAutoConfigurationTests.ENDPOINT,
					"coordination.etcd.request-timeout=200ms")
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean("etcdConfigHealthIndicator")
				.hasSingleBean(EtcdConfigWatcher.class));
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, ConfigAutoConfiguration.class,
			ConfigHealthContributorAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

}
