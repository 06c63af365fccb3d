package dev.coordination.autoconfigure.election;

import dev.coordination.autoconfigure.election.ElectionAutoConfigurationTests.LeadingElections;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.internal.ElectionsHealthContributor;
import dev.coordination.election.internal.EtcdLeaderElections;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code elections} health component's auto-configuration, without etcd: this instance follows
 * in every election it joins.
 */
class ElectionHealthContributorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ElectionAutoConfiguration.class, ElectionHealthContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void healthContributorIsNamedElectionsWithOneUpFollowerComponentPerJoinedElection() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(ElectionsHealthContributor.class).hasBean("electionsHealthContributor");
			ElectionsHealthContributor contributor = context.getBean(ElectionsHealthContributor.class);
			assertThat(contributor.stream()).isEmpty();
			context.getBean(LeaderElections.class).election("reports");
			assertThat(contributor.stream()).extracting(HealthContributors.Entry::name).containsExactly("reports");
			Health health = ((HealthIndicator) contributor.getContributor("reports")).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("role", "follower");
		});
	}

	@Test
	void disabledByManagementProperty() {
		this.contextRunner.withPropertyValues("management.health.elections.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ElectionsHealthContributor.class)
				.hasSingleBean(EtcdLeaderElections.class));
	}

	@Test
	void disabledWithEveryDefaultHealthIndicator() {
		this.contextRunner.withPropertyValues("management.health.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ElectionsHealthContributor.class));
	}

	@Test
	void backsOffWhenElectionIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ElectionsHealthContributor.class));
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ElectionsHealthContributor.class));
	}

	@Test
	void backsOffWithoutHealthAndActuatorAndTheElectionsRemain() {
		// imported as an application imports auto-configurations: without spring-boot-health, the
		// import filter drops the auto-configuration before its health condition is looked at
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms")
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(ElectionsHealthContributor.class)
				.hasSingleBean(EtcdLeaderElections.class));
	}

	@Test
	void userDefinedBeanNamedElectionsHealthContributorMakesOursBackOff() {
		this.contextRunner
			.withBean("electionsHealthContributor", HealthIndicator.class, () -> () -> Health.up().build())
			.run((context) -> assertThat(context).doesNotHaveBean(ElectionsHealthContributor.class)
				.hasBean("electionsHealthContributor"));
	}

	@Test
	void healthFollowsUserDefinedElections() {
		this.contextRunner.withBean("userElections", LeaderElections.class, LeadingElections::new).run((context) -> {
			context.getBean(LeaderElections.class).election("reports");
			ElectionsHealthContributor contributor = context.getBean(ElectionsHealthContributor.class);
			Health health = ((HealthIndicator) contributor.getContributor("reports")).health(true);
			assertThat(health.getDetails()).containsEntry("role", "leader")
				.containsEntry("leader", "127.0.0.1:8080")
				.containsEntry("token", 7L);
		});
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			ElectionAutoConfiguration.class, ElectionHealthContributorAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

}
