package dev.coordination.autoconfigure.etcd;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdHealthIndicator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@code etcd} health indicator, configured with {@code management.health.etcd.*}. Disable it with
 * {@code management.health.etcd.enabled=false}.
 */
@AutoConfiguration(after = EtcdAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(EtcdTemplate.class)
@ConditionalOnEnabledHealthIndicator("etcd")
@EnableConfigurationProperties(EtcdHealthIndicatorProperties.class)
public final class EtcdHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "etcdHealthIndicator")
	EtcdHealthIndicator etcdHealthIndicator(EtcdTemplate etcdTemplate, EtcdConnectionDetails connectionDetails,
			EtcdHealthIndicatorProperties properties) {
		return new EtcdHealthIndicator(etcdTemplate, connectionDetails.getEndpoints(), properties.getInterval());
	}

}
