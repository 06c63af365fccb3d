package dev.coordination.config.internal;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.config.ConfigDataResource;

/**
 * One configuration context in etcd: the keys under {@code {prefix}/{context}/}, for example
 * {@code /config/orders,dev/}.
 */
public class EtcdConfigDataResource extends ConfigDataResource {

	private final String context;

	private final String path;

	private final String root;

	private final int precedence;

	private final boolean optional;

	private final String format;

	private final String dataKey;

	public EtcdConfigDataResource(String context, String root, String path, int precedence, boolean optional, String format,
			String dataKey) {
		super(optional);
		this.precedence = precedence;
		this.context = context;
		this.root = root;
		this.path = path;
		this.optional = optional;
		this.format = format;
		this.dataKey = dataKey;
	}

	/**
	 * How the context is stored: {@code key-value} (one key per property), {@code yaml} or
	 * {@code properties} (one document in the data key).
	 * @return the format
	 */
	public String getFormat() {
		return this.format;
	}

	/**
	 * The key, under the context, of its document when the format is {@code yaml} or
	 * {@code properties}.
	 * @return the data key
	 */
	public String getDataKey() {
		return this.dataKey;
	}

	/**
	 * Whether it was imported with {@code optional:etcd:}.
	 * @return whether a failure to read it is tolerated
	 */
	public boolean isOptionalImport() {
		return this.optional;
	}

	/**
	 * The context's name, for example {@code orders,dev}.
	 * @return the name
	 */
	public String getContext() {
		return this.context;
	}

	/**
	 * The key prefix of the context, ending with {@code /}.
	 * @return the prefix
	 */
	public String getPath() {
		return this.path;
	}

	/**
	 * The prefix the context was imported from, ending with {@code /}, for example {@code /config/}:
	 * one watch per prefix follows all of its contexts.
	 * @return the prefix
	 */
	public String getRoot() {
		return this.root;
	}

	/**
	 * The context's rank among the contexts of its import: higher wins.
	 * @return the rank
	 */
	public int getPrecedence() {
		return this.precedence;
	}

	@Override
	public boolean equals(@Nullable Object other) {
		return other instanceof EtcdConfigDataResource resource && this.path.equals(resource.path);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.path);
	}

	@Override
	public String toString() {
		return "etcd:" + this.path;
	}

}
