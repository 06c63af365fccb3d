package dev.coordination.discovery;

/**
 * Published when the catalog sees an instance registered.
 */
public class InstanceAddedEvent extends InstanceEvent {

	/**
	 * Create the event.
	 * @param source the catalog
	 * @param instance the instance
	 * @param revision the etcd revision of the change
	 */
	public InstanceAddedEvent(ServiceDiscovery source, ServiceRecord instance, long revision) {
		super(source, instance, revision);
	}

}
