package dev.coordination.config.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The properties of every configuration context at one etcd revision. Immutable: a refresh swaps a
 * whole snapshot, so a reader sees all contexts of one revision.
 */
final class ConfigSnapshot {

	static final ConfigSnapshot EMPTY = new ConfigSnapshot(0, Map.of());

	private final long revision;

	private final Map<String, Map<String, Object>> contexts;

	private final Map<String, String[]> names;

	ConfigSnapshot(long revision, Map<String, Map<String, Object>> contexts) {
		this.revision = revision;
		Map<String, Map<String, Object>> copy = new LinkedHashMap<>();
		Map<String, String[]> names = new LinkedHashMap<>();
		contexts.forEach((path, properties) -> {
			copy.put(path, Collections.unmodifiableMap(new LinkedHashMap<>(properties)));
			names.put(path, properties.keySet().toArray(String[]::new));
		});
		this.contexts = Collections.unmodifiableMap(copy);
		this.names = names;
	}

	long revision() {
		return this.revision;
	}

	/**
	 * The properties of a context, by its path.
	 */
	Map<String, Object> properties(String path) {
		return this.contexts.getOrDefault(path, Map.of());
	}

	String[] names(String path) {
		String[] names = this.names.get(path);
		return (names != null) ? names.clone() : new String[0];
	}

	Map<String, Map<String, Object>> contexts() {
		return this.contexts;
	}

	ConfigSnapshot with(long revision, String path, Map<String, Object> properties) {
		Map<String, Map<String, Object>> contexts = new LinkedHashMap<>(this.contexts);
		contexts.put(path, properties);
		return new ConfigSnapshot(revision, contexts);
	}

}
