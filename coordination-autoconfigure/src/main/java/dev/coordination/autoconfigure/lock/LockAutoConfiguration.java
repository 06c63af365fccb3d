package dev.coordination.autoconfigure.lock;

import dev.coordination.autoconfigure.CoordinationProxyRegistrar;
import dev.coordination.autoconfigure.ListenerBeans;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.LockListener;
import dev.coordination.lock.ReactiveLocks;
import dev.coordination.lock.internal.DistributedLockedAdvisor;
import dev.coordination.lock.internal.DistributedLockedBeanPostProcessor;
import dev.coordination.lock.internal.EtcdLockRegistry;
import dev.coordination.lock.internal.LockMetrics;
import dev.coordination.lock.internal.MicrometerLockMetrics;
import dev.coordination.session.internal.EtcdSession;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.thread.Threading;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * distributed locks: the {@link DistributedLockRegistry} on the coordination session.
 * <p>
 * Active with an {@link EtcdTemplate} and an {@link EtcdSession} unless
 * {@code coordination.etcd.lock.enabled=false}; an application's own registry replaces the
 * starter's. {@code @DistributedLocked} methods are checked when their bean is created and advised
 * by an infrastructure advisor; {@link LockListener} beans are registered once every bean exists.
 */
@AutoConfiguration(after = SessionAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration" })
@ConditionalOnBean({ EtcdTemplate.class, EtcdSession.class })
@ConditionalOnBooleanProperty(name = "coordination.etcd.lock.enabled", matchIfMissing = true)
@Import(CoordinationProxyRegistrar.class)
@EnableConfigurationProperties(LockProperties.class)
public final class LockAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(DistributedLockRegistry.class)
	EtcdLockRegistry distributedLockRegistry(EtcdTemplate etcdTemplate, EtcdSession session,
			LockProperties properties, CoordinationEvents events, RetryPolicy retryPolicy, Environment environment) {
		return new EtcdLockRegistry(new EtcdLockRegistry.Prefixes(properties.lockKeyPrefix(),
				properties.readWriteKeyPrefix(), properties.semaphoreKeyPrefix()),
				etcdTemplate, session, properties.isInterruptOnLoss(), events, retryPolicy,
				Threading.VIRTUAL.isActive(environment));
	}

	@Bean
	static SmartInitializingSingleton lockListenerBeans(ObjectProvider<DistributedLockRegistry> registry,
			ObjectProvider<LockListener> listeners) {
		return ListenerBeans.register(registry, listeners, DistributedLockRegistry::addListener);
	}

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static DistributedLockedAdvisor distributedLockedAdvisor(ObjectProvider<DistributedLockRegistry> registry,
			Environment environment, ObjectProvider<LockMetrics> metrics) {
		// resolved at the first call: an infrastructure bean must not initialize the meter registry early
		return new DistributedLockedAdvisor(registry::getObject, LockProperties.defaultWaitTime(environment),
				() -> metrics.getIfAvailable(() -> LockMetrics.NONE));
	}

	@Bean
	static DistributedLockedBeanPostProcessor distributedLockedBeanPostProcessor(Environment environment) {
		return new DistributedLockedBeanPostProcessor(LockProperties.defaultWaitTime(environment));
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(Mono.class)
	static class ReactiveLocksConfiguration {

		@Bean
		@ConditionalOnMissingBean
		ReactiveLocks reactiveLocks(DistributedLockRegistry registry, Environment environment) {
			return new ReactiveLocks(registry, LockProperties.defaultWaitTime(environment));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	@ConditionalOnBean(MeterRegistry.class)
	static class LockMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean(LockMetrics.class)
		MicrometerLockMetrics lockMetrics(MeterRegistry meterRegistry, ObjectProvider<ObservationRegistry> observations) {
			return new MicrometerLockMetrics(meterRegistry, observations.getIfAvailable(() -> ObservationRegistry.NOOP));
		}

	}

}
