package dev.coordination.autoconfigure.etcd;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import dev.coordination.etcd.internal.EtcdStartupCheck;
import io.etcd.jetcd.Client;

import org.springframework.boot.autoconfigure.ssl.JksSslBundleProperties;
import org.springframework.boot.autoconfigure.ssl.PemSslBundleProperties;
import org.springframework.boot.autoconfigure.ssl.PropertiesSslBundle;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.util.StringUtils;

/**
 * An etcd client made before the application context exists, for {@code spring.config.import=etcd:}:
 * from the same {@code coordination.etcd.*} properties and in the same way as the application's
 * client (endpoints, credentials, namespace, timeouts, and TLS from the SSL bundle named by
 * {@code coordination.etcd.ssl.bundle}, read from {@code spring.ssl.bundle.pem.*} or
 * {@code spring.ssl.bundle.jks.*}). {@link EtcdClientBuilderCustomizer} beans do not exist yet and
 * are not applied.
 */
public final class BootstrapEtcdClient {

	private final Client client;

	private final List<URI> endpoints;

	private final Duration connectTimeout;

	private final EtcdStartupCheck startupCheck;

	private BootstrapEtcdClient(Client client, List<URI> endpoints, Duration connectTimeout,
			EtcdStartupCheck startupCheck) {
		this.client = client;
		this.endpoints = endpoints;
		this.connectTimeout = connectTimeout;
		this.startupCheck = startupCheck;
	}

	/**
	 * Make the client.
	 * @param binder the properties as they are while configuration data is imported
	 * @return the client
	 * @throws org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException
	 * naming a bad property
	 */
	public static BootstrapEtcdClient create(Binder binder) {
		EtcdProperties properties = binder.bind("coordination.etcd", EtcdProperties.class).orElseGet(EtcdProperties::new);
		properties.validate();
		DefaultSslBundleRegistry bundles = new DefaultSslBundleRegistry();
		String bundle = properties.getSsl().getBundle();
		if (StringUtils.hasText(bundle)) {
			SslBundle found = binder.bind("spring.ssl.bundle.pem." + bundle, PemSslBundleProperties.class)
				.map(PropertiesSslBundle::get)
				.orElseGet(() -> binder.bind("spring.ssl.bundle.jks." + bundle, JksSslBundleProperties.class)
					.map(PropertiesSslBundle::get)
					.orElse(null));
			if (found != null) {
				bundles.registerBundle(bundle, found);
			}
		}
		PropertiesEtcdConnectionDetails details = new PropertiesEtcdConnectionDetails(properties, bundles);
		Client client = EtcdClientBuilderFactory.builder(properties, details, List.of()).build();
		return new BootstrapEtcdClient(client, details.getEndpoints(), properties.getConnectTimeout(),
				EtcdClientBuilderFactory.startupCheck(properties, details));
	}

	/**
	 * The client.
	 * @return the client
	 */
	public Client client() {
		return this.client;
	}

	/**
	 * The endpoints it connects to.
	 * @return the endpoints
	 */
	public List<URI> endpoints() {
		return this.endpoints;
	}

	/**
	 * The first read at start-up: tried until {@code coordination.etcd.connect-timeout} plus
	 * {@code coordination.etcd.startup-grace} have passed, then explained.
	 * @return the check
	 */
	public EtcdStartupCheck startupCheck() {
		return this.startupCheck;
	}

	/**
	 * How long to wait for etcd to answer: {@code coordination.etcd.connect-timeout}.
	 * @return the timeout
	 */
	public Duration connectTimeout() {
		return this.connectTimeout;
	}

}
