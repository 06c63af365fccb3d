package dev.coordination.autoconfigure.etcd;

import java.net.URI;
import java.util.List;
import java.util.stream.IntStream;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.util.StringUtils;

/**
 * {@link EtcdConnectionDetails} backed by {@code coordination.etcd.*} properties.
 * <p>
 * Resolves the SSL bundle eagerly, so an unknown bundle name fails start-up.
 */
public class PropertiesEtcdConnectionDetails implements EtcdConnectionDetails {

	private final EtcdProperties properties;

	private final List<URI> endpoints;

	private final @Nullable SslBundle sslBundle;

	public PropertiesEtcdConnectionDetails(EtcdProperties properties, @Nullable SslBundles sslBundles) {
		this.properties = properties;
		this.endpoints = IntStream.range(0, properties.getEndpoints().size()).mapToObj(properties::endpoint).toList();
		this.sslBundle = sslBundle(properties.getSsl().getBundle(), sslBundles);
	}

	private static @Nullable SslBundle sslBundle(@Nullable String name, @Nullable SslBundles sslBundles) {
		if (!StringUtils.hasText(name)) {
			return null;
		}
		if (sslBundles == null) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.ssl.bundle", name,
					"No SSL bundles are configured; define one under spring.ssl.bundle.pem." + name
							+ " or spring.ssl.bundle.jks." + name + ".");
		}
		try {
			return sslBundles.getBundle(name);
		}
		catch (NoSuchSslBundleException ex) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.ssl.bundle", name,
					"There is no SSL bundle with this name; define it under spring.ssl.bundle.pem." + name
							+ " or spring.ssl.bundle.jks." + name + ".");
		}
	}

	@Override
	public List<URI> getEndpoints() {
		return this.endpoints;
	}

	@Override
	public @Nullable String getUsername() {
		return StringUtils.hasText(this.properties.getUsername()) ? this.properties.getUsername() : null;
	}

	@Override
	public @Nullable String getPassword() {
		return this.properties.getPassword();
	}

	@Override
	public @Nullable SslBundle getSslBundle() {
		return this.sslBundle;
	}

	@Override
	public @Nullable String getAuthority() {
		return StringUtils.hasText(this.properties.getAuthority()) ? this.properties.getAuthority() : null;
	}

}
