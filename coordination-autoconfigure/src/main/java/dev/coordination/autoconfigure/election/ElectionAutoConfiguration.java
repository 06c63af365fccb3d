package dev.coordination.autoconfigure.election;

import java.time.Duration;

import dev.coordination.autoconfigure.CoordinationProxyRegistrar;
import dev.coordination.autoconfigure.ListenerBeans;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.ReactiveLeaderElections;
import dev.coordination.election.internal.CampaignGate;
import dev.coordination.election.internal.ElectionMetrics;
import dev.coordination.election.internal.ElectionStatusLog;
import dev.coordination.election.internal.EtcdLeaderElections;
import dev.coordination.election.internal.LeaderOnlyAdvisor;
import dev.coordination.election.internal.LeaderOnlyBeanPostProcessor;
import dev.coordination.election.internal.MicrometerElectionMetrics;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.LocalInstance;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.thread.Threading;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of leader
 * election: {@link LeaderElections}, {@code @LeaderOnly}, {@code @LeaderLifecycle}, leadership events
 * and metrics; with Project Reactor on the classpath, {@link ReactiveLeaderElections}.
 */
@AutoConfiguration(after = SessionAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnBean({ EtcdTemplate.class, EtcdSession.class })
@ConditionalOnBooleanProperty(name = "coordination.etcd.election.enabled", matchIfMissing = true)
@Import(CoordinationProxyRegistrar.class)
@EnableConfigurationProperties(ElectionProperties.class)
public final class ElectionAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(LeaderElections.class)
	EtcdLeaderElections leaderElections(EtcdTemplate etcdTemplate, EtcdSession session,
			ElectionProperties properties, LocalInstance localInstance,
			ObjectProvider<ElectionMetrics> metrics, ObjectProvider<CampaignGate> campaignGate,
			CoordinationEvents events, RetryPolicy retryPolicy, WatchProgress watchProgress) {
		return new EtcdLeaderElections(etcdTemplate, session, properties.keyPrefix(), localInstance::identity,
				metrics.getIfAvailable(() -> ElectionMetrics.NONE), (name) -> {
					ElectionProperties.Election election = properties.getElections().get(name);
					return election == null || election.isCandidate();
				}, campaignGate.getIfAvailable(() -> CampaignGate.OPEN), events, (name) -> {
					Duration period = properties.retryPeriod(name);
					return (period != null) ? new RetryPolicy(period, period) : retryPolicy;
				}, watchProgress);
	}

	@Bean
	@ConditionalOnProperty("coordination.etcd.election.status-log-interval")
	ElectionStatusLog electionStatusLog(LeaderElections elections, ElectionProperties properties,
			LocalInstance localInstance) {
		Duration interval = properties.getStatusLogInterval();
		if (interval == null) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.election.status-log-interval", "",
					"Must be a positive duration of at most 1d, for example 30s, or leave it unset to log no status.");
		}
		return new ElectionStatusLog(elections, () -> localInstance.identity().instanceId(), interval);
	}

	@Bean
	@ConditionalOnBooleanProperty("coordination.etcd.election.wait-for-readiness")
	CampaignGate electionReadinessGate(ObjectProvider<ApplicationAvailability> availability) {
		ApplicationAvailability applicationAvailability = availability.getIfAvailable();
		if (applicationAvailability == null) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.election.wait-for-readiness", true,
					"There is no ApplicationAvailability bean to tell readiness: enable Spring Boot's"
							+ " ApplicationAvailabilityAutoConfiguration (or define one), or set it to false");
		}
		return CampaignGate.readiness(applicationAvailability);
	}

	@Bean
	static SmartInitializingSingleton leadershipListenerBeans(ObjectProvider<LeaderElections> elections,
			ObjectProvider<LeadershipListener> listeners) {
		return ListenerBeans.register(elections, listeners, LeaderElections::addListener);
	}

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static LeaderOnlyAdvisor leaderOnlyAdvisor(ObjectProvider<LeaderElections> elections) {
		return new LeaderOnlyAdvisor(elections::getObject);
	}

	@Bean
	static LeaderOnlyBeanPostProcessor leaderOnlyBeanPostProcessor(ObjectProvider<LeaderElections> elections,
			Environment environment) {
		return new LeaderOnlyBeanPostProcessor(elections::getObject, Threading.VIRTUAL.isActive(environment));
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(Mono.class)
	static class ReactiveLeaderElectionsConfiguration {

		// no @ConditionalOnBean(LeaderElections.class): a nested configuration is read before the
		// outer one's bean methods, so it would never match the starter's own; there always is one
		@Bean
		@ConditionalOnMissingBean
		ReactiveLeaderElections reactiveLeaderElections(LeaderElections elections) {
			return new ReactiveLeaderElections(elections);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	@ConditionalOnBean(MeterRegistry.class)
	static class ElectionMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean(ElectionMetrics.class)
		MicrometerElectionMetrics electionMetrics(MeterRegistry meterRegistry) {
			return new MicrometerElectionMetrics(meterRegistry);
		}

	}

}
