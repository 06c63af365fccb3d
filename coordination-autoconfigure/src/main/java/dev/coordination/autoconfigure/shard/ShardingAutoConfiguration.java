package dev.coordination.autoconfigure.shard;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.coordination.autoconfigure.CoordinationProxyRegistrar;
import dev.coordination.autoconfigure.ListenerBeans;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.LocalInstance;
import dev.coordination.shard.ShardListener;
import dev.coordination.shard.ShardedWorkloads;
import dev.coordination.shard.internal.EtcdShardedWorkload;
import dev.coordination.shard.internal.EtcdShardedWorkloads;
import dev.coordination.shard.internal.MicrometerShardMetrics;
import dev.coordination.shard.internal.ShardMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import dev.coordination.shard.internal.ShardedByAdvisor;
import dev.coordination.shard.internal.ShardedByBeanPostProcessor;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * sharded workloads: {@link ShardedWorkloads} with one workload per
 * {@code coordination.shards.<name>.count}, {@code @ShardedBy}, shard listeners and metrics.
 */
@AutoConfiguration(after = SessionAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnBean({ EtcdTemplate.class, EtcdSession.class })
@ConditionalOnBooleanProperty(name = "coordination.etcd.sharding.enabled", matchIfMissing = true)
@Import(CoordinationProxyRegistrar.class)
@EnableConfigurationProperties(ShardingProperties.class)
public final class ShardingAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(ShardedWorkloads.class)
	EtcdShardedWorkloads shardedWorkloads(EtcdTemplate etcdTemplate, EtcdSession session, ShardingProperties properties,
			LocalInstance localInstance, ObjectProvider<ShardMetrics> metrics, RetryPolicy retryPolicy,
			WatchProgress watchProgress) {
		CopyOnWriteArrayList<ShardListener> shared = new CopyOnWriteArrayList<>();
		ShardMetrics shardMetrics = metrics.getIfAvailable(() -> ShardMetrics.NONE);
		List<EtcdShardedWorkload> workloads = new ArrayList<>();
		properties.getShards()
			.forEach((name, workload) -> workloads.add(new EtcdShardedWorkload(name, ShardingProperties.count(workload),
					workload.getWeight(), workload.getSettleDelay(), properties.keyPrefix(), etcdTemplate, session,
					localInstance::identity, shared, retryPolicy, watchProgress, shardMetrics)));
		workloads.forEach(shardMetrics::register);
		return new EtcdShardedWorkloads(workloads, shared);
	}

	@Bean
	static SmartInitializingSingleton shardListenerBeans(ObjectProvider<ShardedWorkloads> workloads,
			ObjectProvider<ShardListener> listeners) {
		return ListenerBeans.register(workloads, listeners, ShardedWorkloads::addListener);
	}

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static ShardedByAdvisor shardedByAdvisor(ObjectProvider<ShardedWorkloads> workloads) {
		return new ShardedByAdvisor(workloads::getObject);
	}

	@Bean
	static ShardedByBeanPostProcessor shardedByBeanPostProcessor(ObjectProvider<ShardedWorkloads> workloads) {
		return new ShardedByBeanPostProcessor(workloads::getObject);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	@ConditionalOnBean(MeterRegistry.class)
	static class ShardMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean(ShardMetrics.class)
		MicrometerShardMetrics shardMetrics(MeterRegistry meterRegistry) {
			return new MicrometerShardMetrics(meterRegistry);
		}

	}

}
