package dev.coordination.discovery;

/**
 * Told of changes to the catalog, on the catalog's thread, in the order of etcd's revisions: keep
 * it short.
 */
public interface DiscoveryListener {

	/**
	 * An instance was registered.
	 * @param instance the instance
	 */
	default void added(ServiceRecord instance) {
	}

	/**
	 * An instance was deregistered, or its lease expired.
	 * @param instance the instance as it was last registered
	 */
	default void removed(ServiceRecord instance) {
	}

	/**
	 * A registered instance changed, for example its status.
	 * @param before the instance before
	 * @param after the instance after
	 */
	default void updated(ServiceRecord before, ServiceRecord after) {
	}

	/**
	 * After each batch of changes, with the revision the catalog now reflects; also after a full
	 * re-read.
	 * @param revision the revision
	 */
	default void catalogChanged(long revision) {
	}

}
