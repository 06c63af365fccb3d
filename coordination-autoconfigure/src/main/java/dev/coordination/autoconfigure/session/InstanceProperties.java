package dev.coordination.autoconfigure.session;

import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration properties of this instance's identity ({@code coordination.etcd.instance.*}),
 * which its candidacy in elections and its service registration both carry.
 */
@ConfigurationProperties("coordination.etcd.instance")
public class InstanceProperties implements InitializingBean {

	/**
	 * Id of this instance, unique among the instances of the application. Defaults to
	 * {spring.application.name}-{host}-{port}.
	 */
	private @Nullable String id;

	/**
	 * Host at which other instances reach this one. Defaults to this machine's host name.
	 */
	private @Nullable String host;

	/**
	 * Whether to use this machine's IP address rather than its host name when no host is set.
	 */
	private boolean preferIpAddress;

	/**
	 * Port at which other instances reach this one. Defaults to the web server's port; an
	 * application without a web server registers in discovery only when it is set.
	 */
	private @Nullable Integer port;

	/**
	 * Metadata published with this instance's candidacies and registration.
	 */
	private Map<String, String> metadata = new LinkedHashMap<>();

	public @Nullable String getId() {
		return this.id;
	}

	public void setId(@Nullable String id) {
		this.id = id;
	}

	public @Nullable String getHost() {
		return this.host;
	}

	public void setHost(@Nullable String host) {
		this.host = host;
	}

	public boolean isPreferIpAddress() {
		return this.preferIpAddress;
	}

	public void setPreferIpAddress(boolean preferIpAddress) {
		this.preferIpAddress = preferIpAddress;
	}

	public @Nullable Integer getPort() {
		return this.port;
	}

	public void setPort(@Nullable Integer port) {
		this.port = port;
	}

	public Map<String, String> getMetadata() {
		return this.metadata;
	}

	public void setMetadata(Map<String, String> metadata) {
		this.metadata = metadata;
	}

	@Override
	public void afterPropertiesSet() {
		validate();
	}

	/**
	 * Check every value.
	 * @throws InvalidConfigurationPropertyValueException naming the property and what is valid
	 */
	public void validate() {
		if (this.port != null && (this.port < 1 || this.port > 65535)) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.instance.port", this.port,
					"Must be a port from 1 to 65535.");
		}
		if (this.id != null && this.id.isBlank()) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.instance.id", this.id,
					"Must not be blank: set an id such as orders-1, or leave it unset for {spring.application.name}-{host}-{port}.");
		}
	}

}
