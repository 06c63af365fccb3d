package dev.coordination.config.internal;

import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.OriginLookup;
import org.springframework.core.env.EnumerablePropertySource;

/**
 * The properties of one configuration context in etcd, named {@code etcd:{context prefix}}. It reads
 * the current snapshot of {@link EtcdConfigState} on every call: a refresh changes it in place,
 * together with every other context.
 */
public final class EtcdPropertySource extends EnumerablePropertySource<EtcdConfigState>
		implements OriginLookup<String> {

	private final String path;

	EtcdPropertySource(String path, EtcdConfigState state) {
		super("etcd:" + path, state);
		this.path = path;
	}

	@Override
	public Object getProperty(String name) {
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
	public Origin getOrigin(String name) {
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
