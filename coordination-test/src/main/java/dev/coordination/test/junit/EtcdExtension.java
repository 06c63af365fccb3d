package dev.coordination.test.junit;

import java.net.URI;
import java.util.List;
import java.util.Objects;

import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit Jupiter extension that starts a real etcd with {@link Etcd#start(EtcdSpec)} and closes it
 * afterwards, also when a test failed.
 * <p>
 * Registered on a {@code static} field with {@code @RegisterExtension}, one cluster serves the whole
 * test class (started before all, closed after all); on an instance field, every test gets its own
 * cluster (started before each, closed after each). Test and lifecycle methods can declare an
 * {@link EtcdCluster} parameter. {@link #client()} is a jetcd client built on first use and closed
 * before the cluster. Safe for tests of one class running concurrently against a per-class cluster.
 *
 * <pre class="code">
 * &#64;RegisterExtension
 * static final EtcdExtension etcd = EtcdExtension.create();
 * </pre>
 */
public final class EtcdExtension
		implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

	private final EtcdSpec spec;

	private EtcdCluster cluster;

	private boolean perClass;

	private Client client;

	private EtcdExtension(EtcdSpec spec) {
		this.spec = Objects.requireNonNull(spec, "spec must not be null");
	}

	/**
	 * Extension for a single-member etcd (or {@code ETCD_ENDPOINTS}).
	 * @return the extension
	 */
	public static EtcdExtension create() {
		return create(EtcdSpec.defaults());
	}

	/**
	 * Extension for the etcd the spec describes.
	 * @param spec what the tests need
	 * @return the extension
	 */
	public static EtcdExtension create(EtcdSpec spec) {
		return new EtcdExtension(spec);
	}

	@Override
	public synchronized void beforeAll(ExtensionContext context) {
		if (this.cluster == null) {
			this.cluster = Etcd.start(this.spec);
			this.perClass = true;
		}
	}

	@Override
	public synchronized void beforeEach(ExtensionContext context) {
		if (this.cluster == null) {
			this.cluster = Etcd.start(this.spec);
			this.perClass = false;
		}
	}

	@Override
	public void afterEach(ExtensionContext context) {
		if (!isPerClass()) {
			closeCluster();
		}
	}

	@Override
	public void afterAll(ExtensionContext context) {
		closeCluster();
	}

	private synchronized boolean isPerClass() {
		return this.perClass;
	}

	private synchronized void closeCluster() {
		try {
			if (this.client != null) {
				this.client.close();
			}
		}
		finally {
			this.client = null;
			EtcdCluster cluster = this.cluster;
			this.cluster = null;
			if (cluster != null) {
				cluster.close();
			}
		}
	}

	@Override
	public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		return parameterContext.getParameter().getType() == EtcdCluster.class;
	}

	@Override
	public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		synchronized (this) {
			if (this.cluster == null) {
				throw new ParameterResolutionException("No etcd cluster is running for "
						+ parameterContext.getDeclaringExecutable() + ": register EtcdExtension on a static field "
						+ "to use it in constructors and @BeforeAll methods");
			}
			return this.cluster;
		}
	}

	/**
	 * The running cluster.
	 * @return the cluster
	 * @throws IllegalStateException outside of the extension's lifecycle
	 */
	public synchronized EtcdCluster cluster() {
		if (this.cluster == null) {
			throw new IllegalStateException("No etcd cluster is running: use EtcdExtension with @RegisterExtension "
					+ "and only inside tests or lifecycle methods");
		}
		return this.cluster;
	}

	/**
	 * Client endpoints of the running cluster.
	 * @return the endpoints
	 */
	public List<URI> endpoints() {
		return cluster().endpoints();
	}

	/**
	 * Client endpoints of the running cluster, comma-separated.
	 * @return the endpoints
	 */
	public String endpointsAsString() {
		return cluster().endpointsAsString();
	}

	/**
	 * A jetcd client to the running cluster, built on first use and closed with the cluster; do not
	 * close it yourself.
	 * @return the client
	 * @throws IllegalStateException if the cluster uses TLS
	 */
	public synchronized Client client() {
		if (this.client == null) {
			this.client = cluster().newClient();
		}
		return this.client;
	}

}
