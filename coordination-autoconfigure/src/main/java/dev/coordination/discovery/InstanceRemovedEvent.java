package dev.coordination.discovery;

import org.springframework.context.ApplicationEvent;

/**
 * Published when the catalog sees an instance deregistered, or gone with its lease.
 */
public class InstanceRemovedEvent extends ApplicationEvent {

	private final ServiceRecord instance;

	private final long revision;

	/**
	 * Create the event.
	 * @param source the catalog
	 * @param instance the instance as it was last registered
	 * @param revision the etcd revision of the change
	 */
	public InstanceRemovedEvent(ServiceDiscovery source, ServiceRecord instance, long revision) {
		super(source);
		this.instance = instance;
		this.revision = revision;
	}

	/**
	 * The instance as it was last registered.
	 * @return the instance
	 */
	public ServiceRecord getInstance() {
		return this.instance;
	}

	/**
	 * The etcd revision the catalog reflects with this change.
	 * @return the revision
	 */
	public long getRevision() {
		return this.revision;
	}

	@Override
	public String toString() {
		return "InstanceRemovedEvent[" + this.instance.serviceId() + "/" + this.instance.instanceId() + ", revision="
				+ this.revision + "]";
	}

}
