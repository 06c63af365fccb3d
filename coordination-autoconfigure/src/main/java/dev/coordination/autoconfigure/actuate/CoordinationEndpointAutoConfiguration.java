package dev.coordination.autoconfigure.actuate;

import dev.coordination.actuate.internal.CoordinationEndpoint;
import dev.coordination.autoconfigure.config.ConfigAutoConfiguration;
import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.shard.ShardingAutoConfiguration;
import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.election.LeaderElections;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.lock.internal.EtcdLockRegistry;
import dev.coordination.session.CoordinationSession;
import dev.coordination.shard.internal.EtcdShardedWorkloads;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of the
 * {@code coordination} actuator endpoint (expose it with
 * {@code management.endpoints.web.exposure.include=coordination}).
 */
@AutoConfiguration(after = { SessionAutoConfiguration.class, ElectionAutoConfiguration.class,
		ShardingAutoConfiguration.class, LockAutoConfiguration.class, DiscoveryAutoConfiguration.class,
		ConfigAutoConfiguration.class })
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(EtcdTemplate.class)
@ConditionalOnAvailableEndpoint(CoordinationEndpoint.class)
public final class CoordinationEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	CoordinationEndpoint coordinationEndpoint(ObjectProvider<CoordinationSession> session,
			ObjectProvider<LeaderElections> elections, ObjectProvider<EtcdShardedWorkloads> shards,
			ObjectProvider<EtcdLockRegistry> locks, ObjectProvider<ServiceDiscovery> discovery,
			ObjectProvider<EtcdServiceRegistration> registration, ObjectProvider<EtcdConfigState> config,
			EtcdTemplate etcd) {
		return new CoordinationEndpoint(session.getIfAvailable(), elections.getIfAvailable(), shards.getIfAvailable(),
				locks.getIfAvailable(), discovery.getIfAvailable(), registration.getIfAvailable(),
				config.getIfAvailable(), etcd);
	}

}
