package dev.coordination.autoconfigure.etcd;

import java.net.URI;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.service.connection.ConnectionDetails;
import org.springframework.boot.ssl.SslBundle;

/**
 * Details required to establish a connection to an etcd cluster.
 * <p>
 * The default implementation is backed by {@code coordination.etcd.*} properties; a test-launched
 * etcd or a Testcontainers {@code @ServiceConnection} can contribute its own bean instead.
 */
public interface EtcdConnectionDetails extends ConnectionDetails {

	/**
	 * Client endpoints of the cluster members, {@code http://host:port} or {@code https://host:port}.
	 * @return the endpoints, never empty
	 */
	List<URI> getEndpoints();

	/**
	 * Login user for etcd authentication.
	 * @return the user name or {@code null} when authentication is not used
	 */
	default @Nullable String getUsername() {
		return null;
	}

	/**
	 * Login password for etcd authentication.
	 * @return the password or {@code null} when authentication is not used
	 */
	default @Nullable String getPassword() {
		return null;
	}

	/**
	 * SSL bundle for TLS to the cluster.
	 * @return the bundle or {@code null} for plaintext connections
	 */
	default @Nullable SslBundle getSslBundle() {
		return null;
	}

	/**
	 * Authority (TLS host name) to verify the server certificate against, when it differs from
	 * the endpoint host.
	 * @return the authority or {@code null} to use the endpoint host
	 */
	default @Nullable String getAuthority() {
		return null;
	}

}
