package dev.coordination.autoconfigure.election;

import dev.coordination.election.LeaderElections;
import dev.coordination.election.internal.ElectionsHealthContributor;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@code elections} health component: one entry per election. Disable it with
 * {@code management.health.elections.enabled=false}.
 */
@AutoConfiguration(after = ElectionAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(LeaderElections.class)
@ConditionalOnEnabledHealthIndicator("elections")
public final class ElectionHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "electionsHealthContributor")
	ElectionsHealthContributor electionsHealthContributor(LeaderElections elections) {
		return new ElectionsHealthContributor(elections);
	}

}
