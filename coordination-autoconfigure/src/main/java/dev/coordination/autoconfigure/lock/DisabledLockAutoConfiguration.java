package dev.coordination.autoconfigure.lock;

import java.time.Duration;

import dev.coordination.autoconfigure.CoordinationProxyRegistrar;
import dev.coordination.autoconfigure.DisabledMethodsReport;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.internal.DistributedLockedAdvisor;
import dev.coordination.lock.internal.DistributedLockedBeanPostProcessor;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * distributed locks turned off ({@code coordination.enabled=false} or
 * {@code coordination.etcd.lock.enabled=false}): no lock is ever acquired. {@code @DistributedLocked}
 * methods are still checked when their bean is created, and every call takes the path of a lock
 * not acquired ({@code LockNotAcquiredException} naming the property, or skipped with
 * {@code onTimeout = SKIP}), never run unprotected; one warning at start-up names them. No
 * {@code DistributedLockRegistry} bean exists.
 */
@AutoConfiguration(after = LockAutoConfiguration.class)
@Conditional(DisabledLockAutoConfiguration.LocksOff.class)
@Import(CoordinationProxyRegistrar.class)
public final class DisabledLockAutoConfiguration {

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static DistributedLockedAdvisor disabledDistributedLockedAdvisor(Environment environment) {
		// nothing waits: the lock properties are neither bound nor checked while locks are off
		return DistributedLockedAdvisor.disabled(Duration.ZERO, disabledBy(environment));
	}

	@Bean
	static DistributedLockedBeanPostProcessor disabledDistributedLockedBeanPostProcessor() {
		return new DistributedLockedBeanPostProcessor(Duration.ZERO);
	}

	@Bean
	static DisabledMethodsReport disabledDistributedLockedMethods(Environment environment) {
		return new DisabledMethodsReport(DistributedLocked.class, false, disabledBy(environment),
				"never acquire their lock (every call throws LockNotAcquiredException, or is skipped with"
						+ " onTimeout = SKIP, as when the lock is held elsewhere)");
	}

	static String disabledBy(Environment environment) {
		return environment.getProperty("coordination.enabled", Boolean.class, true)
				? "coordination.etcd.lock.enabled=false" : "coordination.enabled=false";
	}

	static final class LocksOff extends AnyNestedCondition {

		LocksOff() {
			super(ConfigurationPhase.PARSE_CONFIGURATION);
		}

		@ConditionalOnBooleanProperty(name = "coordination.enabled", havingValue = false)
		static final class CoordinationOff {

		}

		@ConditionalOnBooleanProperty(name = "coordination.etcd.lock.enabled", havingValue = false)
		static final class LockOff {

		}

	}

}
