package dev.coordination.config.internal;

/**
 * Where configuration refreshes are reported.
 */
public interface ConfigMetrics {

	/**
	 * Reports nothing.
	 */
	ConfigMetrics NONE = new ConfigMetrics() {
	};

	/**
	 * The configuration to report the state of (its revision).
	 * @param state the imported configuration
	 */
	default void state(EtcdConfigState state) {
	}

	/**
	 * A refresh ended.
	 * @param outcome {@code applied} (everything etcd holds is in the {@code Environment}),
	 * {@code rejected} (a document or a value was not applied; the last good one stays) or
	 * {@code failed} (applying threw)
	 * @param nanos from receiving the first change to the {@code Environment} updated
	 */
	default void refreshed(String outcome, long nanos) {
	}

}
