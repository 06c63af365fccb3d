package dev.coordination.discovery.internal;



/**
 * What discovery reports to a metrics system.
 */
public interface DiscoveryMetrics {

	/**
	 * Reports nothing.
	 */
	DiscoveryMetrics NONE = new DiscoveryMetrics() {
	};

	/**
	 * The catalog the instance counts are read from, once it exists.
	 * @param catalog the catalog
	 */
	default void catalog(EtcdServiceCatalog catalog) {
	}

	/**
	 * A registration write of this instance ended.
	 * @param outcome {@code success} or {@code failure}
	 */
	default void registration(String outcome) {
	}

	/**
	 * A record that is not a valid registration was skipped.
	 */
	default void skippedRecord() {
	}

}
