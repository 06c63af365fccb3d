package dev.coordination.autoconfigure.lock;

import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.etcd.EtcdKeys;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.EtcdLockRegistry;
import dev.coordination.session.CoordinationSession;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * distributed locks: the {@link DistributedLockRegistry} on the coordination session.
 */
@AutoConfiguration(after = SessionAutoConfiguration.class)
@ConditionalOnBean({ EtcdTemplate.class, CoordinationSession.class })
@ConditionalOnBooleanProperty(name = "coordination.etcd.lock.enabled", matchIfMissing = true)
@EnableConfigurationProperties(LockProperties.class)
public final class LockAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(DistributedLockRegistry.class)
	EtcdLockRegistry distributedLockRegistry(EtcdTemplate etcdTemplate, CoordinationSession session,
			LockProperties properties) {
		String prefix;
		try {
			prefix = EtcdKeys.prefix("coordination.etcd.lock.prefix", properties.getPrefix());
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.lock.prefix", properties.getPrefix(),
					ex.getMessage());
		}
		return new EtcdLockRegistry(prefix, etcdTemplate, session, properties.isInterruptOnLoss());
	}

}
