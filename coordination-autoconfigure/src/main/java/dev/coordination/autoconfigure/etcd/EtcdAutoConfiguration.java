package dev.coordination.autoconfigure.etcd;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import io.etcd.jetcd.Client;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.thread.Threading;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * jetcd {@link Client} and the {@link EtcdTemplate} every coordination capability uses.
 * <p>
 * A user-defined {@code Client} or {@code EtcdConnectionDetails} bean replaces the starter's;
 * {@code coordination.enabled=false} turns the whole starter off.
 */
@AutoConfiguration(after = SslAutoConfiguration.class)
@ConditionalOnClass(Client.class)
@ConditionalOnBooleanProperty(name = "coordination.enabled", matchIfMissing = true)
@EnableConfigurationProperties(EtcdProperties.class)
public final class EtcdAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(EtcdConnectionDetails.class)
	PropertiesEtcdConnectionDetails etcdConnectionDetails(EtcdProperties properties,
			ObjectProvider<SslBundles> sslBundles) {
		return new PropertiesEtcdConnectionDetails(properties, sslBundles.getIfAvailable());
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	Client etcdClient(EtcdProperties properties, EtcdConnectionDetails connectionDetails,
			ObjectProvider<EtcdClientBuilderCustomizer> customizers) {
		return EtcdClientBuilderFactory.builder(properties, connectionDetails, customizers.orderedStream().toList())
			.build();
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	CoordinationEvents coordinationEvents(ApplicationEventPublisher publisher, Environment environment) {
		return new CoordinationEvents(publisher, Threading.VIRTUAL.isActive(environment));
	}

	@Bean
	@ConditionalOnMissingBean
	RetryPolicy coordinationRetryPolicy(EtcdProperties properties) {
		return new RetryPolicy(properties.getRetry().getDelay(), properties.getRetry().getMaxDelay());
	}

	@Bean
	@ConditionalOnMissingBean
	WatchProgress coordinationWatchProgress(EtcdTemplate etcdTemplate, EtcdProperties properties) {
		return new WatchProgress(etcdTemplate, properties.getWatch().getProgressInterval());
	}

	@Bean
	@ConditionalOnMissingBean
	EtcdTemplate etcdTemplate(Client etcdClient, EtcdProperties properties, EtcdConnectionDetails connectionDetails) {
		EtcdTemplate template = new EtcdTemplate(etcdClient, properties.getRequestTimeout());
		if (properties.isFailFast()) {
			EtcdClientBuilderFactory.checkReachable(template, properties, connectionDetails);
		}
		return template;
	}

}
