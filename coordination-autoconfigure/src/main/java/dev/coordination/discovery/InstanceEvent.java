package dev.coordination.discovery;

import org.springframework.context.ApplicationEvent;

/**
 * A change of the service catalog: an instance registered, updated, or gone. Listen to this type to
 * hear all of them.
 */
public abstract class InstanceEvent extends ApplicationEvent {

	private final ServiceRecord instance;

	private final long revision;

	/**
	 * Create the event.
	 * @param source the catalog
	 * @param instance the instance the event is about
	 * @param revision the etcd revision of the change
	 */
	protected InstanceEvent(ServiceDiscovery source, ServiceRecord instance, long revision) {
		super(source);
		this.instance = instance;
		this.revision = revision;
	}

	/**
	 * The instance: as registered now, or, once removed, as it was last registered.
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
		return getClass().getSimpleName() + "[" + this.instance.serviceId() + "/" + this.instance.instanceId()
				+ ", revision=" + this.revision + "]";
	}

}
