package dev.coordination.discovery.internal.cloud;

import dev.coordination.discovery.ServiceDiscovery;
import reactor.core.publisher.Flux;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;

/**
 * Spring Cloud {@link ReactiveDiscoveryClient} answered from the in-memory catalog: nothing blocks.
 * The instances of a service are converted once per change of that service, not per lookup.
 */
public class EtcdReactiveDiscoveryClient implements ReactiveDiscoveryClient {

	private final ServiceDiscovery discovery;

	private final CachedInstances instances;

	public EtcdReactiveDiscoveryClient(ServiceDiscovery discovery) {
		this.discovery = discovery;
		this.instances = new CachedInstances(discovery);
	}

	@Override
	public String description() {
		return "etcd reactive discovery client (watch-fed catalog)";
	}

	@Override
	public Flux<ServiceInstance> getInstances(String serviceId) {
		return Flux.defer(() -> Flux.fromIterable(this.instances.instances(serviceId)));
	}

	@Override
	public Flux<String> getServices() {
		return Flux.defer(() -> Flux.fromIterable(this.discovery.services()));
	}

}
