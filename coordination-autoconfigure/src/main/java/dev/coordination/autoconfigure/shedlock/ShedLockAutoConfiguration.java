package dev.coordination.autoconfigure.shedlock;

import java.time.Duration;

import dev.coordination.autoconfigure.etcd.EtcdProperties;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.internal.EtcdShedLockProvider;
import dev.coordination.lock.internal.SchedulerLockBeanPostProcessor;
import net.javacrumbs.shedlock.core.LockProvider;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of a
 * ShedLock {@link LockProvider} over the {@link DistributedLockRegistry}, so that
 * {@code @SchedulerLock} jobs run under the starter's locks.
 * <p>
 * Active with ShedLock on the classpath and a lock registry; an application's own
 * {@link LockProvider} replaces it. With {@code shedlock-spring}, {@code @SchedulerLock} methods are
 * checked when their bean is created.
 */
@AutoConfiguration(after = LockAutoConfiguration.class)
@ConditionalOnClass(LockProvider.class)
@ConditionalOnBean(DistributedLockRegistry.class)
public final class ShedLockAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(LockProvider.class)
	EtcdShedLockProvider shedLockProvider(DistributedLockRegistry registry, ObjectProvider<EtcdProperties> etcd) {
		// one try-once acquisition is two etcd calls (queue, then read the queue), each bounded by the request timeout
		Duration requestTimeout = etcd.getIfAvailable(EtcdProperties::new).getRequestTimeout();
		return new EtcdShedLockProvider(registry, requestTimeout.multipliedBy(2));
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "net.javacrumbs.shedlock.spring.annotation.SchedulerLock")
	static class SchedulerLockChecks {

		@Bean
		@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
		static SchedulerLockBeanPostProcessor schedulerLockBeanPostProcessor(ConfigurableListableBeanFactory beanFactory) {
			return new SchedulerLockBeanPostProcessor(beanFactory);
		}

	}

}
