package dev.coordination.autoconfigure.actuate;

import dev.coordination.actuate.internal.CoordinationInfoContributor;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.election.LeaderElections;

import org.springframework.boot.actuate.autoconfigure.info.ConditionalOnEnabledInfoContributor;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@code coordination} contributor to {@code /actuator/info}: each election's leader and this
 * instance's role. On by default with the info endpoint; off with
 * {@code management.info.coordination.enabled=false}.
 */
@AutoConfiguration(after = ElectionAutoConfiguration.class)
@ConditionalOnClass(InfoContributor.class)
@ConditionalOnBean(LeaderElections.class)
@ConditionalOnEnabledInfoContributor("coordination")
public final class CoordinationInfoContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	CoordinationInfoContributor coordinationInfoContributor(LeaderElections elections) {
		return new CoordinationInfoContributor(elections);
	}

}
