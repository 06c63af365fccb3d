package dev.coordination.autoconfigure.discovery;

import dev.coordination.discovery.internal.cloud.InFlightCalls;
import dev.coordination.discovery.internal.cloud.LeastConnectionsLoadBalancer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.RandomLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The default configuration of every Spring Cloud LoadBalancer client (one child context per
 * service): the instance chooser that {@code coordination.etcd.discovery.load-balancer} names.
 * Registered before Spring Cloud's own default and after a service's {@code @LoadBalancerClient}
 * configuration, so a chooser of the application's for that service wins.
 */
@Configuration(proxyBeanMethods = false)
class LoadBalancerClientsConfiguration {

	@Bean
	@ConditionalOnMissingBean
	ReactorLoadBalancer<ServiceInstance> etcdDiscoveryLoadBalancer(Environment environment,
			LoadBalancerClientFactory clients, DiscoveryProperties properties, ObjectProvider<InFlightCalls> calls) {
		String serviceId = environment.getRequiredProperty(LoadBalancerClientFactory.PROPERTY_NAME);
		ObjectProvider<ServiceInstanceListSupplier> suppliers = clients.getLazyProvider(serviceId,
				ServiceInstanceListSupplier.class);
		return switch (properties.getLoadBalancer()) {
			case LEAST_CONNECTIONS -> new LeastConnectionsLoadBalancer(suppliers, serviceId, calls.getObject());
			case RANDOM -> new RandomLoadBalancer(suppliers, serviceId);
			case ROUND_ROBIN -> new RoundRobinLoadBalancer(suppliers, serviceId);
		};
	}

}
