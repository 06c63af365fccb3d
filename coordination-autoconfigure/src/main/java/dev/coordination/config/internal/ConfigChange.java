package dev.coordination.config.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.coordination.config.ConfigChangedEvent.Change;

import org.springframework.boot.context.properties.ConfigurationPropertiesBean;

/**
 * A checked change of the imported configuration, as {@link ConfigChangeValidator} made it and
 * {@link ConfigChangeApplier} applies it: what every context holds from now on, the properties that
 * change, and the {@code @ConfigurationProperties} beans they touch, each of which binds them.
 * <p>
 * What could not be applied is already left out, each with its reason in {@link #rejections()}: a
 * context whose document cannot be read keeps its last good properties, and a bean that does not
 * bind keeps the last good values of every property under its prefix. Immutable.
 * @param revision the etcd revision of the change
 * @param contexts the properties of every context from now on, by context prefix
 * @param changes the properties that change, as the contexts together give them (merged in
 * precedence order), by name
 * @param touched the beans whose prefix a changed property is under, as Boot's binder reads its
 * name: the only beans to rebind
 * @param rejections what was left out and why
 */
record ConfigChange(long revision, Map<String, Map<String, Object>> contexts, Map<String, Change> changes,
		List<ConfigurationPropertiesBean> touched, List<Rejection> rejections) {

	ConfigChange {
		// in order: contexts by precedence, changes by name
		contexts = Collections.unmodifiableMap(new LinkedHashMap<>(contexts));
		changes = Collections.unmodifiableMap(new LinkedHashMap<>(changes));
		touched = List.copyOf(touched);
		rejections = List.copyOf(rejections);
	}

	/**
	 * The configuration from now on, as one snapshot.
	 */
	ConfigSnapshot snapshot() {
		return new ConfigSnapshot(this.revision, this.contexts);
	}

	/**
	 * Whether everything etcd holds applies.
	 */
	boolean isComplete() {
		return this.rejections.isEmpty();
	}

	/**
	 * A part of the change that was left out.
	 * @param id what was left out, the same while the same bad value stays in etcd (to log it once)
	 * @param message why, and what stays instead
	 */
	record Rejection(String id, String message) {

	}

}
