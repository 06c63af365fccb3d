package dev.coordination.discovery.internal.cloud;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import reactor.core.publisher.Mono;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.EmptyResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.NoopServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.SelectedInstanceCallback;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * Spring Cloud LoadBalancer's choice of the instance with the fewest calls in flight, as
 * {@link InFlightCalls} counts them, among the instances the service's
 * {@link ServiceInstanceListSupplier} offers (so its health, zone and other filters still apply).
 * Ties are taken in turn, starting one instance further on each call, so equally idle instances
 * share the calls as round-robin would. Thread safe.
 * <p>
 * Not guaranteed: calls chosen at the same moment may pick the same instance, since a call is
 * counted only once its request goes out; the counts are this application's, not the fleet's.
 */
public class LeastConnectionsLoadBalancer implements ReactorServiceInstanceLoadBalancer {

	private final ObjectProvider<ServiceInstanceListSupplier> suppliers;

	private final String serviceId;

	private final InFlightCalls calls;

	private final AtomicInteger position = new AtomicInteger(ThreadLocalRandom.current().nextInt(1000));

	public LeastConnectionsLoadBalancer(ObjectProvider<ServiceInstanceListSupplier> suppliers, String serviceId,
			InFlightCalls calls) {
		this.suppliers = suppliers;
		this.serviceId = serviceId;
		this.calls = calls;
	}

	@Override
	@SuppressWarnings("rawtypes")
	public Mono<Response<ServiceInstance>> choose(Request request) {
		ServiceInstanceListSupplier supplier = this.suppliers
			.getIfAvailable(NoopServiceInstanceListSupplier::new);
		return supplier.get(request).next().map((instances) -> {
			Response<ServiceInstance> response = choose(instances);
			ServiceInstance chosen = response.getServer();
			if (supplier instanceof SelectedInstanceCallback callback && chosen != null) {
				callback.selectedServiceInstance(chosen);
			}
			return response;
		});
	}

	Response<ServiceInstance> choose(List<ServiceInstance> instances) {
		int size = instances.size();
		if (size == 0) {
			return new EmptyResponse();
		}
		int start = Math.floorMod(this.position.getAndIncrement(), size);
		ServiceInstance least = instances.get(start);
		int leastCalls = this.calls.inFlight(least);
		for (int i = 1; i < size && leastCalls > 0; i++) {
			ServiceInstance instance = instances.get((start + i) % size);
			int inFlight = this.calls.inFlight(instance);
			if (inFlight < leastCalls) {
				least = instance;
				leastCalls = inFlight;
			}
		}
		return new DefaultResponse(least);
	}

}
