package dev.coordination.discovery.internal;

import java.util.Set;

import org.junit.jupiter.api.Test;

import org.springframework.boot.health.actuate.endpoint.StatusAggregator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.registry.DefaultHealthContributorRegistry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ApplicationHealth}: what the registration's status follows.
 */
class ApplicationHealthTests {

	private final DefaultHealthContributorRegistry registry = new DefaultHealthContributorRegistry();

	@Test
	void theStartersOwnIndicatorsDoNotCountSoAnEtcdOutageDoesNotMarkEveryInstanceDown() {
		this.registry.registerContributor("etcd", down());
		this.registry.registerContributor("coordinationSession", down());
		this.registry.registerContributor("discovery", (HealthIndicator) () -> Health.unknown().build());
		this.registry.registerContributor("db", up());
		assertThat(health((name) -> true)).isEqualTo("UP");
		this.registry.registerContributor("disk", down());
		assertThat(health((name) -> true)).isEqualTo("DOWN");
	}

	@Test
	void compositesCountWithTheirMembersAndAGroupWithItsMembersOnly() {
		this.registry.registerContributor("queues",
				CompositeHealthContributor.fromMap(java.util.Map.of("orders", up(), "billing", down())));
		this.registry.registerContributor("db", up());
		assertThat(health((name) -> true)).isEqualTo("DOWN");
		assertThat(health(Set.of("db")::contains)).isEqualTo("UP");
		assertThat(health(Set.of("nothing")::contains)).isEqualTo("UP");
	}

	@Test
	void anIndicatorThatAnswersNoHealthCountsForNothingAndTheOthersStillCount() {
		this.registry.registerContributor("silent", (HealthIndicator) () -> null);
		this.registry.registerContributor("db", up());
		assertThat(health((name) -> true)).isEqualTo("UP");
		this.registry.registerContributor("disk", down());
		assertThat(health((name) -> true)).isEqualTo("DOWN");
	}

	private String health(java.util.function.Predicate<String> member) {
		return new ApplicationHealth(this.registry, member, StatusAggregator.getDefault()).get();
	}

	private static HealthIndicator up() {
		return () -> Health.up().build();
	}

	private static HealthIndicator down() {
		return () -> Health.down().build();
	}

}
