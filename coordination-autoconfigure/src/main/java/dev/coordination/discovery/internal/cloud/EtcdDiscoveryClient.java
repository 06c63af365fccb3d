package dev.coordination.discovery.internal.cloud;

import java.util.ArrayList;
import java.util.List;

import dev.coordination.discovery.ServiceDiscovery;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;

/**
 * Spring Cloud {@link DiscoveryClient} answered from the in-memory catalog: no etcd call per
 * lookup. Returns the instances that are UP.
 */
public class EtcdDiscoveryClient implements DiscoveryClient {

	private final ServiceDiscovery discovery;

	public EtcdDiscoveryClient(ServiceDiscovery discovery) {
		this.discovery = discovery;
	}

	@Override
	public String description() {
		return "etcd discovery client (watch-fed catalog)";
	}

	@Override
	public List<ServiceInstance> getInstances(String serviceId) {
		return this.discovery.instances(serviceId).stream().<ServiceInstance>map(EtcdServiceInstance::new).toList();
	}

	@Override
	public List<String> getServices() {
		return new ArrayList<>(this.discovery.services());
	}

}
