package dev.coordination.config;

/**
 * Hears when the configuration imported from etcd ({@code spring.config.import=etcd:}) changed
 * while the application runs. Beans of this type are registered automatically.
 * <p>
 * Called on the starter's event thread, {@code coordination-events}, once the {@code Environment}
 * and the {@code @ConfigurationProperties} beans have the new values, one change at a time and in
 * the order of etcd's revisions; the same events are published as Spring application events.
 */
@FunctionalInterface
public interface ConfigListener {

	/**
	 * Properties changed.
	 * @param event the revision and every changed property with its old and new value
	 */
	void changed(ConfigChangedEvent event);

}
