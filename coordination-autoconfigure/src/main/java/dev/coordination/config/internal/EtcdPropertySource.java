package dev.coordination.config.internal;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.OriginLookup;
import org.springframework.core.env.EnumerablePropertySource;

/**
 * The properties of one configuration context in etcd, named {@code etcd:{context prefix}}.
 * <p>
 * It reads the current snapshot of {@link EtcdConfigState} on every call: a refresh changes it in
 * place, in the same swap as every other context. Thread-safe. Each property's origin names the
 * context and the revision.
 */
public final class EtcdPropertySource extends EnumerablePropertySource<EtcdConfigState>
		implements OriginLookup<String> {

	private final String path;

	EtcdPropertySource(String path, EtcdConfigState state) {
		super("etcd:" + path, state);
		this.path = path;
	}

	/**
	 * The key prefix of the context, ending with {@code /}.
	 */
	String path() {
		return this.path;
	}

	@Override
	public @Nullable Object getProperty(String name) {
		return getSource().snapshot().properties(this.path).get(name);
	}

	@Override
	public boolean containsProperty(String name) {
		return getSource().snapshot().properties(this.path).containsKey(name);
	}

	@Override
	public String[] getPropertyNames() {
		return getSource().snapshot().names(this.path);
	}

	@Override
	public @Nullable Origin getOrigin(String name) {
		ConfigSnapshot snapshot = getSource().snapshot();
		if (!snapshot.properties(this.path).containsKey(name)) {
			return null;
		}
		String at = "etcd " + this.path + " at revision " + snapshot.revision();
		return new Origin() {

			@Override
			public String toString() {
				return at;
			}

		};
	}

}
