package dev.coordination.session.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.core.env.Environment;
import org.springframework.util.StringUtils;

/**
 * Resolves this instance's {@link InstanceIdentity} from {@code coordination.etcd.instance.*}, the
 * local host and the web server's port. Resolved at every call: the port of a web server is only
 * known once it started. Thread-safe.
 */
public final class LocalInstance {

	private final @Nullable String id;

	private final @Nullable String host;

	private final @Nullable Integer port;

	private final boolean preferIpAddress;

	private final Map<String, String> metadata;

	private final Environment environment;

	// this machine's name does not change: resolved once, on first use (a lookup can be slow)
	private volatile @Nullable String localHost;

	/**
	 * Create the resolver.
	 * @param id the configured instance id, or {@code null} for
	 * {@code {spring.application.name}-{host}-{port}}
	 * @param host the configured host, or {@code null} for this machine's
	 * @param port the configured port, or {@code null} for the web server's
	 * @param preferIpAddress whether to use this machine's IP address rather than its host name
	 * @param metadata user metadata
	 * @param environment where the application name and the web server's port are read
	 */
	public LocalInstance(@Nullable String id, @Nullable String host, @Nullable Integer port, boolean preferIpAddress,
			Map<String, String> metadata, Environment environment) {
		this.id = id;
		this.host = host;
		this.port = port;
		this.preferIpAddress = preferIpAddress;
		this.metadata = Map.copyOf(metadata);
		this.environment = environment;
	}

	/**
	 * This instance's identity now.
	 * @return the identity
	 * @throws InvalidConfigurationPropertyValueException when no host is configured and this
	 * machine's host name does not resolve
	 */
	public InstanceIdentity identity() {
		String host = StringUtils.hasText(this.host) ? this.host : localHost();
		int port = port();
		String id = StringUtils.hasText(this.id) ? this.id
				: this.environment.getProperty("spring.application.name", "application") + "-" + host
						+ ((port > 0) ? "-" + port : "");
		return new InstanceIdentity(id, host, port, this.metadata);
	}

	/**
	 * The port other instances reach this one at: the configured one, else the web server's.
	 * @return the port, or {@code 0} while none is known (no web server, or not started yet)
	 */
	public int port() {
		if (this.port != null) {
			return this.port;
		}
		Integer local = this.environment.getProperty("local.server.port", Integer.class);
		return (local != null && local > 0) ? local : 0;
	}

	/**
	 * Whether the port was configured rather than taken from a web server.
	 * @return whether {@code coordination.etcd.instance.port} is set
	 */
	public boolean isPortConfigured() {
		return this.port != null;
	}

	private String localHost() {
		String resolved = this.localHost;
		if (resolved != null) {
			return resolved;
		}
		try {
			InetAddress local = InetAddress.getLocalHost();
			resolved = this.preferIpAddress ? local.getHostAddress() : local.getHostName();
			this.localHost = resolved;
			return resolved;
		}
		catch (UnknownHostException ex) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.instance.host", null,
					"This machine's host name does not resolve (" + ex.getMessage()
							+ "): set the host other instances reach this one at.");
		}
	}

}
