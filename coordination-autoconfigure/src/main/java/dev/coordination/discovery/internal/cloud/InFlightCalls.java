package dev.coordination.discovery.internal.cloud;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceRemovedEvent;
import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.RequestData;
import org.springframework.cloud.client.loadbalancer.RequestDataContext;
import org.springframework.cloud.client.loadbalancer.Response;

/**
 * The calls this application has in flight to each instance, per service and instance id, counted
 * through Spring Cloud LoadBalancer's {@link LoadBalancerLifecycle}: a call counts from
 * {@code onStartRequest} (an instance was chosen and the request goes out) to {@code onComplete},
 * whatever its outcome (success, an error status, an exception). One bean for the whole application,
 * shared by every load-balanced client and service.
 * <p>
 * Each call is counted at most once and uncounted at most once, on the counter it was counted on,
 * so a completion that Spring Cloud reports twice, or after its instance left the catalog, does
 * not make a count negative or wrong. Counters of instances removed from the catalog are dropped.
 * Thread safe.
 * <p>
 * Not guaranteed: what a client does not report. Spring Cloud's blocking clients complete a call
 * when the response headers arrive, so reading a long body does not count; Spring Cloud's
 * WebClient filter does not report a cancelled exchange, which {@link InFlightCallsWebClientPostProcessor}'s
 * filter completes instead where it is in place.
 */
public class InFlightCalls implements LoadBalancerLifecycle<Object, Object, ServiceInstance>, DiscoveryListener {

	private final Map<Key, AtomicInteger> counts = new ConcurrentHashMap<>();

	// by identity: Spring Cloud's requests compare equal when their method, URL and headers do
	private final Map<Object, AtomicInteger> calls = Collections.synchronizedMap(new IdentityHashMap<>());

	/**
	 * The calls in flight to an instance.
	 * @param instance the instance
	 * @return the number of calls started and not completed yet, 0 for an unknown instance
	 */
	public int inFlight(ServiceInstance instance) {
		AtomicInteger count = this.counts.get(Key.of(instance));
		return (count != null) ? count.get() : 0;
	}

	/**
	 * The calls in flight to an instance.
	 * @param serviceId the service
	 * @param instanceId the instance id
	 * @return the number of calls started and not completed yet, 0 for an unknown instance
	 */
	public int inFlight(String serviceId, String instanceId) {
		AtomicInteger count = this.counts.get(new Key(serviceId, instanceId));
		return (count != null) ? count.get() : 0;
	}

	/**
	 * The counters kept now, one per service and instance called since it joined the catalog.
	 * @return the number of counters
	 */
	public int counters() {
		return this.counts.size();
	}

	@Override
	public void onStart(Request<Object> request) {
	}

	@Override
	public void onStartRequest(Request<Object> request, Response<ServiceInstance> lbResponse) {
		ServiceInstance instance = lbResponse.getServer();
		if (instance == null) {
			return;
		}
		AtomicInteger count = this.counts.computeIfAbsent(Key.of(instance), (key) -> new AtomicInteger());
		count.incrementAndGet();
		AtomicInteger previous = this.calls.put(request, count);
		if (previous != null) {
			// the same request started again (a retry) without completing first
			previous.decrementAndGet();
		}
		if (call(request) instanceof Call call && !call.started(this, request)) {
			// cancelled while the instance was being chosen
			complete(request);
		}
	}

	private static @Nullable Object call(Request<Object> request) {
		if (request.getContext() instanceof RequestDataContext context) {
			RequestData data = context.getClientRequest();
			return (data != null && data.getAttributes() != null) ? data.getAttributes().get(Call.ATTRIBUTE) : null;
		}
		return null;
	}

	@Override
	public void onComplete(CompletionContext<Object, ServiceInstance, Object> completionContext) {
		complete(completionContext.getLoadBalancerRequest());
	}

	private void complete(@Nullable Object request) {
		if (request == null) {
			return;
		}
		AtomicInteger count = this.calls.remove(request);
		if (count != null) {
			count.decrementAndGet();
		}
	}

	@Override
	public void removed(InstanceRemovedEvent event) {
		// calls still in flight complete on the counter they hold, which is no longer looked up
		this.counts.remove(new Key(event.getInstance().serviceId(), event.getInstance().instanceId()));
	}

	/**
	 * One exchange of a load-balanced WebClient, which a filter in front of Spring Cloud's marks
	 * so that its cancellation, which Spring Cloud does not report, completes its count.
	 */
	static final class Call {

		static final String ATTRIBUTE = Call.class.getName();

		private @Nullable InFlightCalls calls;

		private @Nullable Object request;

		private boolean cancelled;

		synchronized boolean started(InFlightCalls calls, Object request) {
			this.calls = calls;
			this.request = request;
			return !this.cancelled;
		}

		void cancel() {
			InFlightCalls calls;
			Object request;
			synchronized (this) {
				this.cancelled = true;
				calls = this.calls;
				request = this.request;
			}
			if (calls != null) {
				calls.complete(request);
			}
		}

	}

	private record Key(String serviceId, String instanceId) {

		static Key of(ServiceInstance instance) {
			String instanceId = instance.getInstanceId();
			return new Key(instance.getServiceId(),
					(instanceId != null) ? instanceId : instance.getHost() + ":" + instance.getPort());
		}

	}

}
