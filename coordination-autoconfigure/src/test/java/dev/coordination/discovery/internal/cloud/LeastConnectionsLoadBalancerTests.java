package dev.coordination.discovery.internal.cloud;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.CompletionContext.Status;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The choice among instances by their counts, without a network: ties in turn, the least busy
 * otherwise.
 */
class LeastConnectionsLoadBalancerTests {

	private final List<ServiceInstance> instances = List.of(instance("a"), instance("b"), instance("c"));

	private final InFlightCalls calls = new InFlightCalls();

	private final LeastConnectionsLoadBalancer balancer = new LeastConnectionsLoadBalancer(
			new StaticListableBeanFactory().getBeanProvider(ServiceInstanceListSupplier.class),
			"backend", this.calls);

	@Test
	void idleInstancesAreTakenInTurnNotAlwaysTheFirst() {
		Map<String, Integer> chosen = new HashMap<>();
		for (int i = 0; i < 30; i++) {
			chosen.merge(this.balancer.choose(this.instances).getServer().getInstanceId(), 1, Integer::sum);
		}
		assertThat(chosen).containsEntry("a", 10).containsEntry("b", 10).containsEntry("c", 10);
	}

	@Test
	void theInstanceWithTheFewestCallsInFlightIsChosenUntilTheCallsComplete() {
		Request<Object> first = start("a");
		start("a");
		Request<Object> third = start("b");
		for (int i = 0; i < 6; i++) {
			assertThat(this.balancer.choose(this.instances).getServer().getInstanceId()).isEqualTo("c");
		}
		start("c");
		start("c");
		// a 2, b 1, c 2
		assertThat(this.balancer.choose(this.instances).getServer().getInstanceId()).isEqualTo("b");
		complete(Status.FAILED, first);
		complete(Status.SUCCESS, third);
		// a 1, b 0, c 2; a completion reported twice counts once
		complete(Status.SUCCESS, third);
		assertThat(this.calls.inFlight("backend", "b")).isZero();
		assertThat(this.calls.inFlight("backend", "a")).isOne();
		assertThat(this.balancer.choose(this.instances).getServer().getInstanceId()).isEqualTo("b");
	}

	@Test
	void noInstanceNoServer() {
		assertThat(this.balancer.choose(List.of()).hasServer()).isFalse();
	}

	private void complete(Status status, Request<Object> request) {
		this.calls.onComplete(new CompletionContext<Object, ServiceInstance, Object>(status, request));
	}

	private Request<Object> start(String instanceId) {
		Request<Object> request = new DefaultRequest<>();
		this.calls.onStartRequest(request, new DefaultResponse(instance(instanceId)));
		return request;
	}

	private static ServiceInstance instance(String id) {
		return new DefaultServiceInstance(id, "backend", "127.0.0.1", 8080, false);
	}

}
