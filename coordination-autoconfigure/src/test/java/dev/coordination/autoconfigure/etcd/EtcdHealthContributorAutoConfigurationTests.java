package dev.coordination.autoconfigure.etcd;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdHealthIndicator;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code etcd} health indicator's auto-configuration. Its health is only asked of an endpoint
 * where nothing listens, so no test depends on an etcd running on this machine.
 */
class EtcdHealthContributorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(EtcdAutoConfiguration.class, EtcdHealthContributorAutoConfiguration.class));

	@Test
	void healthIndicatorIsNamedEtcd() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(EtcdHealthIndicator.class)
			.hasBean("etcdHealthIndicator"));
	}

	@Test
	void unreachableEtcdIsDownWithinTheRequestTimeoutNamingTheEndpoints() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms")
			.run((context) -> {
				EtcdHealthIndicator indicator = context.getBean(EtcdHealthIndicator.class);
				await().atMost(Duration.ofSeconds(5))
					.until(() -> indicator.health(true).getStatus(), (status) -> status.equals(Status.DOWN));
				Health health = indicator.health(true);
				assertThat(health.getDetails()).containsKey("error")
					.containsEntry("endpoints", List.of("http://127.0.0.1:1"));
			});
	}

	@Test
	void healthAnswersWithoutWaitingForACheckEtcdDoesNotAnswer() throws IOException {
		// accepts connections (the kernel's backlog) but never answers: a check can only end by its
		// 30 s request timeout, so DOWN would mean the answer waited for it
		try (ServerSocket silent = new ServerSocket(0)) {
			this.contextRunner
				.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:" + silent.getLocalPort(),
						"coordination.etcd.request-timeout=30s")
				.run((context) -> {
					EtcdHealthIndicator indicator = context.getBean(EtcdHealthIndicator.class);
					assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UNKNOWN);
				});
		}
	}

	@Test
	void intervalDefaultsToTenSeconds() {
		this.contextRunner.run((context) -> assertThat(context.getBean(EtcdHealthIndicatorProperties.class).getInterval())
			.isEqualTo(Duration.ofSeconds(10)));
	}

	@Test
	void negativeIntervalFailsStartUpNamingTheProperty() {
		this.contextRunner.withPropertyValues("management.health.etcd.interval=-1s")
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("management.health.etcd.interval")
				.hasStackTraceContaining("Must be a duration of 0 or more"));
	}

	@Test
	void disabledByManagementProperty() {
		this.contextRunner.withPropertyValues("management.health.etcd.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(EtcdHealthIndicator.class)
				.hasSingleBean(EtcdTemplate.class));
	}

	@Test
	void disabledWithEveryDefaultHealthIndicator() {
		this.contextRunner.withPropertyValues("management.health.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(EtcdHealthIndicator.class));
	}

	@Test
	void enabledAloneWhenDefaultHealthIndicatorsAreDisabled() {
		this.contextRunner
			.withPropertyValues("management.health.defaults.enabled=false", "management.health.etcd.enabled=true")
			.run((context) -> assertThat(context).hasSingleBean(EtcdHealthIndicator.class));
	}

	@Test
	void backsOffWithoutSpringBootHealth() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
			.run((context) -> assertThat(context).doesNotHaveBean(EtcdHealthIndicator.class));
	}

	@Test
	void backsOffWithoutHealthAndActuatorPackagesAndTheTemplateRemains() {
		// imported as an application imports auto-configurations: without spring-boot-health, the
		// import filter drops the auto-configuration before its health condition is looked at
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(EtcdHealthIndicator.class)
				.hasSingleBean(EtcdTemplate.class));
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(EtcdHealthIndicator.class));
	}

	@Test
	void userDefinedBeanNamedEtcdHealthIndicatorMakesOursBackOff() {
		this.contextRunner.withBean("etcdHealthIndicator", HealthIndicator.class, () -> () -> Health.up().build())
			.run((context) -> assertThat(context).doesNotHaveBean(EtcdHealthIndicator.class)
				.hasBean("etcdHealthIndicator"));
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, EtcdHealthContributorAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

}
