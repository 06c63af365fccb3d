package dev.coordination.autoconfigure.shard;

import dev.coordination.autoconfigure.CoordinationProxyRegistrar;
import dev.coordination.autoconfigure.DisabledMethodsReport;
import dev.coordination.shard.ShardedBy;
import dev.coordination.shard.internal.ShardedByAdvisor;
import dev.coordination.shard.internal.ShardedByBeanPostProcessor;

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
 * sharding turned off ({@code coordination.enabled=false} or
 * {@code coordination.etcd.sharding.enabled=false}): this instance owns no shard.
 * {@code @ShardedBy} methods are still checked when their bean is created (but not their workload
 * names: the workloads are not read), and every call is skipped as on an instance that owns no
 * shard, never run on every instance; one warning at start-up names them. No
 * {@code ShardedWorkloads} bean exists.
 */
@AutoConfiguration(after = ShardingAutoConfiguration.class)
@Conditional(DisabledShardingAutoConfiguration.ShardingOff.class)
@Import(CoordinationProxyRegistrar.class)
public final class DisabledShardingAutoConfiguration {

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static ShardedByAdvisor disabledShardedByAdvisor(Environment environment) {
		return ShardedByAdvisor.disabled(disabledBy(environment));
	}

	@Bean
	static ShardedByBeanPostProcessor disabledShardedByBeanPostProcessor() {
		return new ShardedByBeanPostProcessor(null);
	}

	@Bean
	static DisabledMethodsReport disabledShardedByMethods(Environment environment) {
		return new DisabledMethodsReport(ShardedBy.class, false, disabledBy(environment),
				"never run on this instance (every call is skipped as on an instance that owns no shard: a method"
						+ " without parameters runs for no shard, one with a shard parameter returns null)");
	}

	static String disabledBy(Environment environment) {
		return environment.getProperty("coordination.enabled", Boolean.class, true)
				? "coordination.etcd.sharding.enabled=false" : "coordination.enabled=false";
	}

	static final class ShardingOff extends AnyNestedCondition {

		ShardingOff() {
			super(ConfigurationPhase.PARSE_CONFIGURATION);
		}

		@ConditionalOnBooleanProperty(name = "coordination.enabled", havingValue = false)
		static final class CoordinationOff {

		}

		@ConditionalOnBooleanProperty(name = "coordination.etcd.sharding.enabled", havingValue = false)
		static final class ShardingDisabled {

		}

	}

}
