package dev.coordination.discovery;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Client-side balancing without Spring Cloud: picks one {@link InstanceStatus#UP UP} instance of a
 * service from the catalog.
 */
@FunctionalInterface
public interface InstanceChooser {

	/**
	 * Choose an instance.
	 * @param serviceId the service
	 * @return an instance, or empty when none is up
	 */
	Optional<ServiceRecord> choose(String serviceId);

	/**
	 * A chooser that takes the instances in turn, per service.
	 * @param discovery the catalog
	 * @return the chooser
	 */
	static InstanceChooser roundRobin(ServiceDiscovery discovery) {
		ConcurrentHashMap<String, AtomicInteger> positions = new ConcurrentHashMap<>();
		return (serviceId) -> {
			List<ServiceRecord> instances = discovery.instances(serviceId);
			if (instances.isEmpty()) {
				return Optional.empty();
			}
			int next = positions.computeIfAbsent(serviceId, (id) -> new AtomicInteger()).getAndIncrement();
			return Optional.of(instances.get(Math.floorMod(next, instances.size())));
		};
	}

	/**
	 * A chooser that takes an instance at random.
	 * @param discovery the catalog
	 * @return the chooser
	 */
	static InstanceChooser random(ServiceDiscovery discovery) {
		return (serviceId) -> {
			List<ServiceRecord> instances = discovery.instances(serviceId);
			return instances.isEmpty() ? Optional.empty()
					: Optional.of(instances.get(ThreadLocalRandom.current().nextInt(instances.size())));
		};
	}

}
