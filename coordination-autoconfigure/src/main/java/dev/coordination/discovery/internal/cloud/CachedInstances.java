package dev.coordination.discovery.internal.cloud;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import org.jspecify.annotations.Nullable;

import org.springframework.cloud.client.ServiceInstance;

/**
 * The catalog's lists as Spring Cloud's, converted once per change of a service rather than per
 * lookup: a converted list is kept while the catalog answers with the very same list, which it does
 * until that service changes ({@link ServiceDiscovery}'s lists are immutable snapshots). Thread
 * safe; two callers converting the same new list at once both return a correct list.
 */
final class CachedInstances {

	private final ServiceDiscovery discovery;

	private final Map<String, Converted<List<ServiceRecord>, List<ServiceInstance>>> instances = new ConcurrentHashMap<>();

	private volatile @Nullable Converted<Set<String>, List<String>> services;

	CachedInstances(ServiceDiscovery discovery) {
		this.discovery = discovery;
	}

	/**
	 * The UP instances of a service as Spring Cloud instances, ordered by instance id.
	 * @param serviceId the service
	 * @return the instances, immutable
	 */
	List<ServiceInstance> instances(String serviceId) {
		List<ServiceRecord> records = this.discovery.instances(serviceId);
		if (records.isEmpty()) {
			this.instances.remove(serviceId);
			return List.of();
		}
		Converted<List<ServiceRecord>, List<ServiceInstance>> converted = this.instances.get(serviceId);
		if (converted != null && converted.source() == records) {
			return converted.result();
		}
		List<ServiceInstance> result = records.stream().<ServiceInstance>map(EtcdServiceInstance::new).toList();
		this.instances.put(serviceId, new Converted<>(records, result));
		if (this.instances.size() > this.discovery.services().size()) {
			// services gone since they were last looked up
			this.instances.keySet().retainAll(this.discovery.services());
		}
		return result;
	}

	/**
	 * The services with at least one registered instance.
	 * @return the service ids, sorted, immutable
	 */
	List<String> services() {
		Set<String> services = this.discovery.services();
		Converted<Set<String>, List<String>> converted = this.services;
		if (converted != null && converted.source() == services) {
			return converted.result();
		}
		List<String> result = List.copyOf(services);
		this.services = new Converted<>(services, result);
		return result;
	}

	private record Converted<S, R>(S source, R result) {
	}

}
