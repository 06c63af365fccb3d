package dev.coordination.discovery.internal.cloud;

import java.util.List;

import dev.coordination.discovery.ServiceDiscovery;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;

/**
 * Spring Cloud {@link DiscoveryClient} answered from the in-memory catalog: no etcd call per
 * lookup. Returns the instances that are UP. The lists are immutable and converted once per change
 * of their service, so a lookup costs the same whatever the number of instances.
 */
public class EtcdDiscoveryClient implements DiscoveryClient {

	private final CachedInstances instances;

	public EtcdDiscoveryClient(ServiceDiscovery discovery) {
		this.instances = new CachedInstances(discovery);
	}

	@Override
	public String description() {
		return "etcd discovery client (watch-fed catalog)";
	}

	@Override
	public List<ServiceInstance> getInstances(String serviceId) {
		return this.instances.instances(serviceId);
	}

	@Override
	public List<String> getServices() {
		return this.instances.services();
	}

}
