package dev.coordination.autoconfigure.actuate;

import dev.coordination.actuate.internal.CoordinationHealthGroups;
import dev.coordination.etcd.EtcdTemplate;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@code coordination} health group.
 */
@AutoConfiguration(after = dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration.class)
@ConditionalOnClass(HealthEndpointGroupsPostProcessor.class)
@ConditionalOnBean(EtcdTemplate.class)
public final class CoordinationHealthGroupAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	static CoordinationHealthGroups coordinationHealthGroups() {
		return new CoordinationHealthGroups();
	}

}
