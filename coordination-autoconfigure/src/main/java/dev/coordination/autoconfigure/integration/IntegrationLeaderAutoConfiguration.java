package dev.coordination.autoconfigure.integration;

import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.election.LeaderElections;
import dev.coordination.integration.internal.EtcdLeaderInitiators;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.leader.event.DefaultLeaderEventPublisher;
import org.springframework.integration.leader.event.LeaderEventPublisher;
import org.springframework.integration.support.SmartLifecycleRoleController;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * Spring Integration's leadership on the starter's elections: a leader initiator per role, in the
 * election of the same name, driving the role's {@link Candidate}s and, through leadership events,
 * the endpoints {@link SmartLifecycleRoleController} starts and stops.
 */
@AutoConfiguration(after = ElectionAutoConfiguration.class)
@ConditionalOnClass({ Candidate.class, SmartLifecycleRoleController.class })
@ConditionalOnBean(LeaderElections.class)
@ConditionalOnBooleanProperty(name = "coordination.etcd.integration.leader.enabled", matchIfMissing = true)
@EnableConfigurationProperties(IntegrationLeaderProperties.class)
public final class IntegrationLeaderAutoConfiguration {

	@Bean
	EtcdLeaderInitiators etcdLeaderInitiators(LeaderElections elections, IntegrationLeaderProperties properties,
			ListableBeanFactory beanFactory, ObjectProvider<LeaderEventPublisher> leaderEventPublisher,
			ApplicationEventPublisher applicationEventPublisher) {
		return new EtcdLeaderInitiators(elections, beanFactory, properties.getRoles(),
				IntegrationLeaderProperties.ROLES_PROPERTY,
				() -> leaderEventPublisher.getIfUnique(() -> new DefaultLeaderEventPublisher(applicationEventPublisher)));
	}

}
