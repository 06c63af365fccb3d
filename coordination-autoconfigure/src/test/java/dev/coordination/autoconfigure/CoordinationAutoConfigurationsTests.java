package dev.coordination.autoconfigure;

import java.util.Arrays;
import java.util.List;

import dev.coordination.actuate.internal.CoordinationEndpoint;
import dev.coordination.actuate.internal.CoordinationHealthGroups;
import dev.coordination.autoconfigure.actuate.CoordinationEndpointAutoConfiguration;
import dev.coordination.autoconfigure.actuate.CoordinationHealthGroupAutoConfiguration;
import dev.coordination.autoconfigure.actuate.CoordinationSanitizingAutoConfiguration;
import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfiguration;
import dev.coordination.autoconfigure.discovery.DiscoveryHealthContributorAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionHealthContributorAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdHealthContributorAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionHealthContributorAutoConfiguration;
import dev.coordination.discovery.InstanceChooser;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.internal.AutoRegistration;
import dev.coordination.discovery.internal.DiscoveryHealthIndicator;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.discovery.internal.HealthDrivenStatus;
import dev.coordination.discovery.internal.MicrometerDiscoveryMetrics;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.internal.ElectionsHealthContributor;
import dev.coordination.election.internal.LeaderOnlyAdvisor;
import dev.coordination.election.internal.MicrometerElectionMetrics;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdHealthIndicator;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.internal.MicrometerSessionMetrics;
import dev.coordination.session.internal.SessionHealthIndicator;
import org.junit.jupiter.api.Test;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every auto-configuration of the starter (but locks and configuration, tested on their own)
 * together with Boot's, imported as an application imports them, so that the auto-configuration
 * import filter drops those whose classes are missing, as it does in an application. Without
 * etcd: the session never gets a lease, the catalog stays empty.
 */
class CoordinationAutoConfigurationsTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withUserConfiguration(Starter.class)
		.withBean(Reports.class, Reports::new)
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms",
				"spring.application.name=orders", "coordination.etcd.instance.port=8080",
				"management.endpoints.web.exposure.include=health,coordination");

	@Test
	void everyCapabilityAndIntegrationIsDefinedByDefault() {
		this.contextRunner.withUserConfiguration(Health.class, Metrics.class).run((context) -> {
			assertCapabilitiesWork(context);
			assertThat(context).hasSingleBean(EtcdHealthIndicator.class)
				.hasSingleBean(SessionHealthIndicator.class)
				.hasSingleBean(ElectionsHealthContributor.class)
				.hasSingleBean(DiscoveryHealthIndicator.class)
				.hasSingleBean(CoordinationEndpoint.class)
				.hasSingleBean(CoordinationHealthGroups.class)
				.hasSingleBean(HealthDrivenStatus.class)
				.hasBean("coordinationSecretsSanitizingFunction")
				.hasSingleBean(MicrometerSessionMetrics.class)
				.hasSingleBean(MicrometerElectionMetrics.class)
				.hasSingleBean(MicrometerDiscoveryMetrics.class);
			assertThat(healthComponents(context)).contains("etcd", "coordinationSession", "elections", "discovery");
			assertThat(starterBeans(context)).contains("etcdTemplate", "coordinationSession", "leaderElections",
					"serviceDiscovery");
		});
	}

	@Test
	void withoutJetcdNothingOfTheStarterIsDefinedAndTheContextStarts() {
		this.contextRunner.withUserConfiguration(Health.class, Metrics.class)
			.withClassLoader(new FilteredClassLoader("io.etcd.jetcd"))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				// the sanitizing function is a known bug: CoordinationSanitizingAutoConfigurationTests
				assertThat(starterBeans(context)).filteredOn((name) -> !name.contains("Sanitizing"))
					.isEmpty();
				assertThat(context.getBean(Reports.class).run()).isEqualTo("ran");
			});
	}

	@Test
	void disabledStarterDefinesNothingOfTheStarter() {
		this.contextRunner.withUserConfiguration(Health.class, Metrics.class)
			.withPropertyValues("coordination.enabled=false")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				// the sanitizing function is a known bug: CoordinationSanitizingAutoConfigurationTests
				assertThat(starterBeans(context)).filteredOn((name) -> !name.contains("Sanitizing"))
					.isEmpty();
				assertThat(healthComponents(context)).doesNotContain("etcd", "coordinationSession", "elections",
						"discovery");
			});
	}

	@Test
	void withoutMicrometerNoMetricsAndEverythingElseWorks() {
		this.contextRunner.withUserConfiguration(Health.class)
			.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
			.run((context) -> {
				assertCapabilitiesWork(context);
				assertThat(context).doesNotHaveBean(MicrometerSessionMetrics.class)
					.doesNotHaveBean(MicrometerElectionMetrics.class)
					.doesNotHaveBean(MicrometerDiscoveryMetrics.class)
					.doesNotHaveBean("coordinationSessionGauges")
					.hasSingleBean(EtcdHealthIndicator.class)
					.hasSingleBean(CoordinationEndpoint.class)
					.hasSingleBean(HealthDrivenStatus.class);
			});
	}

	@Test
	void withoutHealthAndActuatorNoHealthContributorsNoEndpointNoHealthDrivenStatusAndEverythingElseWorks() {
		this.contextRunner.withUserConfiguration(Metrics.class)
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> {
				assertCapabilitiesWork(context);
				assertThat(context).doesNotHaveBean(EtcdHealthIndicator.class)
					.doesNotHaveBean(SessionHealthIndicator.class)
					.doesNotHaveBean(ElectionsHealthContributor.class)
					.doesNotHaveBean(DiscoveryHealthIndicator.class)
					.doesNotHaveBean(CoordinationEndpoint.class)
					.doesNotHaveBean(CoordinationHealthGroups.class)
					.doesNotHaveBean(HealthDrivenStatus.class)
					.doesNotHaveBean("coordinationSecretsSanitizingFunction")
					.hasSingleBean(MicrometerSessionMetrics.class)
					.hasSingleBean(MicrometerElectionMetrics.class)
					.hasSingleBean(MicrometerDiscoveryMetrics.class);
			});
	}

	@Test
	void withHealthButWithoutActuatorHealthContributorsRemainWithoutEndpointOrHealthDrivenStatus() {
		this.contextRunner.withUserConfiguration(Health.class, Metrics.class)
			.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
			.run((context) -> {
				assertCapabilitiesWork(context);
				assertThat(healthComponents(context)).contains("etcd", "coordinationSession", "elections", "discovery");
				assertThat(context).doesNotHaveBean(CoordinationEndpoint.class)
					.doesNotHaveBean(HealthDrivenStatus.class)
					.doesNotHaveBean("coordinationSecretsSanitizingFunction");
			});
	}

	@Test
	void healthDefaultsDisabledTurnsEveryHealthComponentOfTheStarterOff() {
		this.contextRunner.withUserConfiguration(Health.class)
			.withPropertyValues("management.health.defaults.enabled=false")
			.run((context) -> {
				assertCapabilitiesWork(context);
				assertThat(healthComponents(context)).doesNotContain("etcd", "coordinationSession", "elections",
						"discovery");
				assertThat(context).hasSingleBean(HealthDrivenStatus.class);
			});
	}

	private static void assertCapabilitiesWork(AssertableApplicationContext context) {
		assertThat(context).hasNotFailed()
			.hasSingleBean(EtcdTemplate.class)
			.hasSingleBean(CoordinationSession.class)
			.hasSingleBean(LeaderElections.class)
			.hasSingleBean(LeaderOnlyAdvisor.class)
			.hasSingleBean(ServiceDiscovery.class)
			.hasSingleBean(InstanceChooser.class)
			.hasSingleBean(EtcdServiceRegistration.class)
			.hasSingleBean(AutoRegistration.class)
			.hasSingleBean(DiscoveryClient.class);
		assertThat(context.getBean(CoordinationSession.class).isValid()).isFalse();
		Reports reports = context.getBean(Reports.class);
		assertThat(AopUtils.isAopProxy(reports)).isTrue();
		assertThat(reports.run()).isNull();
	}

	private static List<String> healthComponents(AssertableApplicationContext context) {
		return context.getBeanProvider(HealthContributorRegistry.class)
			.stream()
			.flatMap(HealthContributors::stream)
			.map(HealthContributors.Entry::name)
			.toList();
	}

	private static List<String> starterBeans(AssertableApplicationContext context) {
		return Arrays.stream(context.getBeanDefinitionNames()).filter((name) -> {
			Class<?> type = context.getType(name);
			return type != null && type.getName().startsWith("dev.coordination.")
					&& !type.getName().startsWith(CoordinationAutoConfigurationsTests.class.getName());
		}).toList();
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ AopAutoConfiguration.class, EtcdAutoConfiguration.class,
			EtcdHealthContributorAutoConfiguration.class, SessionAutoConfiguration.class,
			SessionHealthContributorAutoConfiguration.class, ElectionAutoConfiguration.class,
			ElectionHealthContributorAutoConfiguration.class, DiscoveryAutoConfiguration.class,
			DiscoveryHealthContributorAutoConfiguration.class, CoordinationEndpointAutoConfiguration.class,
			CoordinationHealthGroupAutoConfiguration.class, CoordinationSanitizingAutoConfiguration.class })
	static class Starter {

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ HealthContributorRegistryAutoConfiguration.class, HealthEndpointAutoConfiguration.class })
	static class Health {

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
			CompositeMeterRegistryAutoConfiguration.class })
	static class Metrics {

	}

	/**
	 * Leader-only work; public, so that a class proxy of it can be defined by a
	 * {@link FilteredClassLoader}.
	 */
	public static class Reports {

		@LeaderOnly
		public String run() {
			return "ran";
		}

	}

}
