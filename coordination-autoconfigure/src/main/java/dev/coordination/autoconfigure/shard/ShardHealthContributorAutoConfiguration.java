package dev.coordination.autoconfigure.shard;

import dev.coordination.shard.internal.EtcdShardedWorkloads;
import dev.coordination.shard.internal.ShardsHealthContributor;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@code shards} health component: one entry per sharded workload. Disable it with
 * {@code management.health.shards.enabled=false}.
 */
@AutoConfiguration(after = ShardingAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(EtcdShardedWorkloads.class)
@ConditionalOnEnabledHealthIndicator("shards")
public final class ShardHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "shardsHealthContributor")
	ShardsHealthContributor shardsHealthContributor(EtcdShardedWorkloads workloads) {
		return new ShardsHealthContributor(workloads);
	}

}
