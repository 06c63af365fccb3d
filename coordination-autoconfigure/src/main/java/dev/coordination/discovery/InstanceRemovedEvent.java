package dev.coordination.discovery;

/**
 * Published when the catalog sees an instance deregistered, or gone with its lease.
 */
public class InstanceRemovedEvent extends InstanceEvent {

	/**
	 * Create the event.
	 * @param source the catalog
	 * @param instance the instance as it was last registered
	 * @param revision the etcd revision of the change
	 */
	public InstanceRemovedEvent(ServiceDiscovery source, ServiceRecord instance, long revision) {
		super(source, instance, revision);
	}

}
