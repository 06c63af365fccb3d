package dev.coordination.autoconfigure.session;

import dev.coordination.session.CoordinationSession;
import dev.coordination.session.internal.SessionHealthIndicator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@code coordinationSession} health indicator. Disable it with
 * {@code management.health.coordination-session.enabled=false}.
 */
@AutoConfiguration(after = SessionAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(CoordinationSession.class)
@ConditionalOnEnabledHealthIndicator("coordination-session")
public final class SessionHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "coordinationSessionHealthIndicator")
	SessionHealthIndicator coordinationSessionHealthIndicator(CoordinationSession session) {
		return new SessionHealthIndicator(session);
	}

}
