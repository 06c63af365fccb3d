package dev.coordination.discovery;

import java.util.List;
import java.util.Set;

/**
 * The instances of every service registered in etcd, answered from memory: a watch keeps the
 * catalog current, so no lookup calls etcd. The lists and sets returned are immutable snapshots: a
 * change of the catalog publishes new ones and never alters those already returned.
 */
public interface ServiceDiscovery {

	/**
	 * The instances of a service that are {@link InstanceStatus#UP UP}, ordered by instance id.
	 * @param serviceId the service
	 * @return the instances, empty when there are none
	 */
	List<ServiceRecord> instances(String serviceId);

	/**
	 * The instances of a service whatever their status, ordered by instance id.
	 * @param serviceId the service
	 * @return the instances, empty when there are none
	 */
	List<ServiceRecord> allInstances(String serviceId);

	/**
	 * The services with at least one registered instance.
	 * @return the service ids, sorted
	 */
	Set<String> services();

	/**
	 * The etcd revision the catalog reflects.
	 * @return the revision, {@code 0} before the first read
	 */
	long revision();

	/**
	 * Register a listener of catalog changes.
	 * @param listener the listener
	 */
	void addListener(DiscoveryListener listener);

	/**
	 * Remove a listener of catalog changes.
	 * @param listener the listener
	 */
	void removeListener(DiscoveryListener listener);

}
