package dev.coordination.discovery;

/**
 * Hears of changes to the service catalog: instances registered, deregistered (or expired) and
 * updated. Beans of this type are registered automatically; {@link ServiceDiscovery#addListener}
 * adds others.
 * <p>
 * Called on the starter's event thread, {@code coordination-events}, one event at a time and in the
 * order of etcd's revisions, never on the thread that watches etcd; the same events are published
 * as Spring application events. When a listener hears of a change, lookups already answer with
 * it.
 */
public interface DiscoveryListener {

	/**
	 * An instance was registered.
	 * @param event the instance
	 */
	default void added(InstanceAddedEvent event) {
	}

	/**
	 * An instance was deregistered, or its lease expired.
	 * @param event the instance as it was last registered
	 */
	default void removed(InstanceRemovedEvent event) {
	}

	/**
	 * A registered instance changed, for example its status.
	 * @param event the instance before and after
	 */
	default void updated(InstanceUpdatedEvent event) {
	}

}
