package dev.coordination.autoconfigure.discovery;

import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.internal.DiscoveryHealthIndicator;
import dev.coordination.discovery.internal.EtcdServiceRegistration;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@code discovery} health indicator.
 */
@AutoConfiguration(after = DiscoveryAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(ServiceDiscovery.class)
@ConditionalOnEnabledHealthIndicator("discovery")
public final class DiscoveryHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "discoveryHealthIndicator")
	DiscoveryHealthIndicator discoveryHealthIndicator(ServiceDiscovery discovery,
			ObjectProvider<EtcdServiceRegistration> registration) {
		return new DiscoveryHealthIndicator(discovery, registration.getIfAvailable());
	}

}
