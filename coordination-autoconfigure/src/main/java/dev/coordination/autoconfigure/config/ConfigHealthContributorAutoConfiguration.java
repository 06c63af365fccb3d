package dev.coordination.autoconfigure.config;

import dev.coordination.config.internal.ConfigHealthIndicator;
import dev.coordination.config.internal.EtcdConfigState;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@code etcdConfig} health indicator.
 */
@AutoConfiguration(after = ConfigAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(EtcdConfigState.class)
@ConditionalOnEnabledHealthIndicator("etcd-config")
public final class ConfigHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "etcdConfigHealthIndicator")
	ConfigHealthIndicator etcdConfigHealthIndicator(EtcdConfigState state) {
		return new ConfigHealthIndicator(state);
	}

}
