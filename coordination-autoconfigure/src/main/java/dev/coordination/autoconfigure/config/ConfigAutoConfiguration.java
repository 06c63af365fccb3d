package dev.coordination.autoconfigure.config;

import dev.coordination.autoconfigure.ListenerBeans;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.config.ConfigListener;
import dev.coordination.config.ConfigTemplate;
import dev.coordination.config.FeatureFlags;
import dev.coordination.config.internal.ConfigMetrics;
import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.config.internal.EtcdConfigTemplate;
import dev.coordination.config.internal.EtcdConfigWatcher;
import dev.coordination.config.internal.EtcdFeatureFlags;
import dev.coordination.config.internal.MicrometerConfigMetrics;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.thread.Threading;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * configuration from etcd: the live refresh of what {@code spring.config.import=etcd:} imported,
 * feature flags, and the {@link ConfigTemplate} with snapshots. {@link ConfigProperties}
 * checks the properties.
 */
@AutoConfiguration(after = EtcdAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnBean(EtcdTemplate.class)
@EnableConfigurationProperties(ConfigProperties.class)
public final class ConfigAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(ConfigTemplate.class)
	ConfigTemplate etcdConfigTemplate(EtcdTemplate etcdTemplate, ConfigProperties properties) {
		return new EtcdConfigTemplate(etcdTemplate, properties.determinePrefix(),
				properties.getSnapshots().determinePrefix(), properties.determineFormat(), properties.getDataKey());
	}

	@Bean
	@ConditionalOnMissingBean(FeatureFlags.class)
	EtcdFeatureFlags featureFlags(EtcdTemplate etcdTemplate, ConfigProperties properties, RetryPolicy retryPolicy,
			WatchProgress watchProgress) {
		return new EtcdFeatureFlags(etcdTemplate, properties.getFlags().determinePrefix(), retryPolicy,
				watchProgress);
	}

	@Bean
	@ConditionalOnBean(EtcdConfigState.class)
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty(name = "coordination.etcd.config.watch.enabled", matchIfMissing = true)
	EtcdConfigWatcher etcdConfigWatcher(EtcdTemplate etcdTemplate, EtcdConfigState state,
			ConfigProperties properties, ConfigurableApplicationContext context,
			ObjectProvider<ConfigMetrics> metrics, CoordinationEvents events, RetryPolicy retryPolicy,
			WatchProgress watchProgress) {
		return new EtcdConfigWatcher(etcdTemplate, state, properties.getWatch().getDelay(), context,
				metrics.getIfAvailable(() -> ConfigMetrics.NONE), events, retryPolicy, watchProgress,
				Threading.VIRTUAL.isActive(context.getEnvironment()));
	}

	@Bean
	static SmartInitializingSingleton configListenerBeans(ObjectProvider<EtcdConfigWatcher> watcher,
			ObjectProvider<ConfigListener> listeners) {
		return ListenerBeans.register(watcher, listeners, EtcdConfigWatcher::addListener);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	@ConditionalOnBean(MeterRegistry.class)
	static class MetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean(ConfigMetrics.class)
		MicrometerConfigMetrics etcdConfigMetrics(MeterRegistry registry) {
			return new MicrometerConfigMetrics(registry);
		}

	}

}
