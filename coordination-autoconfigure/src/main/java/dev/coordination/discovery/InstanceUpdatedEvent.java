package dev.coordination.discovery;

import org.springframework.context.ApplicationEvent;

/**
 * Published when the catalog sees a registered instance change, for example its status.
 */
public class InstanceUpdatedEvent extends ApplicationEvent {

	private final ServiceRecord before;

	private final ServiceRecord after;

	private final long revision;

	/**
	 * Create the event.
	 * @param source the catalog
	 * @param before the instance before
	 * @param after the instance after
	 * @param revision the etcd revision of the change
	 */
	public InstanceUpdatedEvent(ServiceDiscovery source, ServiceRecord before, ServiceRecord after, long revision) {
		super(source);
		this.before = before;
		this.after = after;
		this.revision = revision;
	}

	/**
	 * The instance before the change.
	 * @return the instance
	 */
	public ServiceRecord getBefore() {
		return this.before;
	}

	/**
	 * The instance after the change.
	 * @return the instance
	 */
	public ServiceRecord getAfter() {
		return this.after;
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
		return "InstanceUpdatedEvent[" + this.after.serviceId() + "/" + this.after.instanceId() + ", status "
				+ this.before.status() + " -> " + this.after.status() + ", revision=" + this.revision + "]";
	}

}
