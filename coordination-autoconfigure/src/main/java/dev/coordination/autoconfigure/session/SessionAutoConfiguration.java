package dev.coordination.autoconfigure.session;

import dev.coordination.autoconfigure.ListenerBeans;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionListener;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.LocalInstance;
import dev.coordination.session.internal.MicrometerSessionMetrics;
import dev.coordination.session.internal.SessionMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@link CoordinationSession}: one etcd lease per application instance, shared by every capability.
 */
@AutoConfiguration(after = EtcdAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnBean(EtcdTemplate.class)
@EnableConfigurationProperties({ SessionProperties.class, InstanceProperties.class })
public final class SessionAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(CoordinationSession.class)
	EtcdSession coordinationSession(EtcdTemplate etcdTemplate, SessionProperties properties,
			ObjectProvider<SessionMetrics> metrics, CoordinationEvents events, RetryPolicy retryPolicy) {
		return new EtcdSession(etcdTemplate, properties.getTtl(), properties.getSafetyMargin(),
				metrics.getIfAvailable(() -> SessionMetrics.NONE), events, retryPolicy);
	}

	@Bean
	@ConditionalOnMissingBean
	LocalInstance coordinationLocalInstance(InstanceProperties properties, Environment environment) {
		return new LocalInstance(properties.getId(), properties.getHost(), properties.getPort(),
				properties.isPreferIpAddress(), properties.getMetadata(), environment);
	}

	@Bean
	static SmartInitializingSingleton sessionListenerBeans(ObjectProvider<CoordinationSession> session,
			ObjectProvider<SessionListener> listeners) {
		return ListenerBeans.register(session, listeners, CoordinationSession::addListener);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	@ConditionalOnBean(MeterRegistry.class)
	static class SessionMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean(SessionMetrics.class)
		MicrometerSessionMetrics coordinationSessionMetrics(MeterRegistry meterRegistry) {
			return new MicrometerSessionMetrics(meterRegistry);
		}

		@Bean
		MeterBinder coordinationSessionGauges(CoordinationSession session) {
			return MicrometerSessionMetrics.gauges(session);
		}

	}

}
