package dev.coordination.test.spring;

import java.net.URI;
import java.util.List;
import java.util.Objects;

import dev.coordination.autoconfigure.etcd.EtcdConnectionDetails;
import dev.coordination.test.EtcdCluster;

import org.springframework.boot.ssl.SslBundle;

/**
 * {@link EtcdConnectionDetails} that point the coordination starter at an {@link EtcdCluster} started
 * for tests or development.
 * <p>
 * The endpoints are the cluster's; there is no authentication. A TLS cluster needs the matching
 * {@link SslBundle}, given to {@link #EtcdClusterConnectionDetails(EtcdCluster, SslBundle)}.
 */
public class EtcdClusterConnectionDetails implements EtcdConnectionDetails {

	private final EtcdCluster cluster;

	private final SslBundle sslBundle;

	/**
	 * Connection details for a plaintext cluster.
	 * @param cluster the cluster
	 */
	public EtcdClusterConnectionDetails(EtcdCluster cluster) {
		this(cluster, null);
	}

	/**
	 * Connection details for a cluster, with the SSL bundle its client URLs need.
	 * @param cluster the cluster
	 * @param sslBundle the bundle that trusts the cluster's certificate, or {@code null} for plaintext
	 */
	public EtcdClusterConnectionDetails(EtcdCluster cluster, SslBundle sslBundle) {
		this.cluster = Objects.requireNonNull(cluster, "cluster must not be null");
		this.sslBundle = sslBundle;
	}

	@Override
	public List<URI> getEndpoints() {
		return this.cluster.endpoints();
	}

	@Override
	public SslBundle getSslBundle() {
		return this.sslBundle;
	}

	@Override
	public String toString() {
		return "EtcdClusterConnectionDetails[" + this.cluster.description() + " at " + this.cluster.endpointsAsString()
				+ "]";
	}

}
