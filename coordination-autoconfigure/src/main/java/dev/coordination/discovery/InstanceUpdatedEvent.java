package dev.coordination.discovery;

/**
 * Published when the catalog sees a registered instance change, for example its status;
 * {@link #getInstance()} is the instance after the change.
 */
public class InstanceUpdatedEvent extends InstanceEvent {

	private final ServiceRecord before;

	/**
	 * Create the event.
	 * @param source the catalog
	 * @param before the instance before
	 * @param after the instance after
	 * @param revision the etcd revision of the change
	 */
	public InstanceUpdatedEvent(ServiceDiscovery source, ServiceRecord before, ServiceRecord after, long revision) {
		super(source, after, revision);
		this.before = before;
	}

	/**
	 * The instance before the change.
	 * @return the instance
	 */
	public ServiceRecord getBefore() {
		return this.before;
	}

	@Override
	public String toString() {
		return "InstanceUpdatedEvent[" + getInstance().serviceId() + "/" + getInstance().instanceId() + ", status "
				+ this.before.status() + " -> " + getInstance().status() + ", revision=" + getRevision() + "]";
	}

}
