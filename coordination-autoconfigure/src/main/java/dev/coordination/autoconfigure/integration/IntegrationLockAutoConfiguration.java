package dev.coordination.autoconfigure.integration;

import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.integration.internal.EtcdIntegrationLockRegistry;
import dev.coordination.lock.DistributedLockRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.support.locks.LockRegistry;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * Spring Integration's {@link LockRegistry} over the starter's distributed locks.
 * <p>
 * Active with Spring Integration on the classpath and a {@link DistributedLockRegistry} bean; an
 * application's own {@code LockRegistry} replaces it.
 */
@AutoConfiguration(after = LockAutoConfiguration.class)
@ConditionalOnClass(LockRegistry.class)
@ConditionalOnBean(DistributedLockRegistry.class)
public final class IntegrationLockAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(LockRegistry.class)
	EtcdIntegrationLockRegistry integrationLockRegistry(DistributedLockRegistry distributedLockRegistry) {
		return new EtcdIntegrationLockRegistry(distributedLockRegistry);
	}

}
