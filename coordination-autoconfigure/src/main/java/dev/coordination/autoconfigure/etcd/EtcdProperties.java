package dev.coordination.autoconfigure.etcd;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.StringUtils;
import org.springframework.util.unit.DataSize;

/**
 * Configuration properties of the etcd client ({@code coordination.etcd.*}).
 * <p>
 * Validated when bound: a bad value fails start-up with the property name and what would be
 * valid.
 */
@ConfigurationProperties("coordination.etcd")
public class EtcdProperties implements InitializingBean {

	/**
	 * Client endpoints of the etcd cluster members, as http://host:port, or https://host:port
	 * together with an SSL bundle.
	 */
	private List<String> endpoints = new ArrayList<>(List.of("http://127.0.0.1:2379"));

	/**
	 * Key prefix applied to every key the application reads and writes, through the starter and
	 * the etcd Client bean alike, for example "/my-team".
	 */
	private @Nullable String namespace;

	/**
	 * Login user for etcd authentication.
	 */
	private @Nullable String username;

	/**
	 * Login password for etcd authentication.
	 */
	private @Nullable String password;

	/**
	 * Authority (TLS host name) the server certificate is verified against, when it differs from
	 * the endpoint host.
	 */
	private @Nullable String authority;

	/**
	 * Timeout for establishing a connection to an etcd member; with fail-fast, the time etcd has
	 * to answer at start-up.
	 */
	private Duration connectTimeout = Duration.ofSeconds(5);

	/**
	 * How much longer than the connect timeout the first call at start-up (the configuration
	 * import, the fail-fast check) is tried again, with a short backoff, before start-up fails: a
	 * cold JVM can use up the connect timeout loading gRPC and Netty. 0 tries for the connect
	 * timeout only.
	 */
	private Duration startupGrace = Duration.ofSeconds(5);

	/**
	 * Bound on every call the starter makes to etcd. jetcd itself waits forever while etcd is
	 * down.
	 */
	private Duration requestTimeout = Duration.ofSeconds(5);

	/**
	 * Interval of gRPC keepalive pings that detect a dead connection. gRPC uses at least 10s.
	 */
	private Duration keepaliveTime = Duration.ofSeconds(30);

	/**
	 * Time a gRPC keepalive ping may go unanswered before the connection counts as broken.
	 */
	private Duration keepaliveTimeout = Duration.ofSeconds(10);

	/**
	 * Maximum size of one message received from etcd. Raise it for large prefix reads.
	 */
	private DataSize maxInboundMessageSize = DataSize.ofMegabytes(4);

	/**
	 * Whether start-up fails when etcd does not answer within the connect timeout plus the start-up
	 * grace. By default
	 * the application starts and the etcd health indicator reports DOWN until etcd answers.
	 */
	private boolean failFast;

	/**
	 * TLS settings.
	 */
	private final Ssl ssl = new Ssl();

	/**
	 * Retry settings of jetcd for idempotent calls.
	 */
	private final Retry retry = new Retry();

	/**
	 * Settings of the watches that keep the configuration, the service catalog, the feature flags
	 * and the elections current.
	 */
	private final Watch watch = new Watch();

	public List<String> getEndpoints() {
		return this.endpoints;
	}

	public void setEndpoints(List<String> endpoints) {
		this.endpoints = endpoints;
	}

	public @Nullable String getNamespace() {
		return this.namespace;
	}

	public void setNamespace(@Nullable String namespace) {
		this.namespace = namespace;
	}

	public @Nullable String getUsername() {
		return this.username;
	}

	public void setUsername(@Nullable String username) {
		this.username = username;
	}

	public @Nullable String getPassword() {
		return this.password;
	}

	public void setPassword(@Nullable String password) {
		this.password = password;
	}

	public @Nullable String getAuthority() {
		return this.authority;
	}

	public void setAuthority(@Nullable String authority) {
		this.authority = authority;
	}

	public Duration getConnectTimeout() {
		return this.connectTimeout;
	}

	public void setConnectTimeout(Duration connectTimeout) {
		this.connectTimeout = connectTimeout;
	}

	public Duration getStartupGrace() {
		return this.startupGrace;
	}

	public void setStartupGrace(Duration startupGrace) {
		this.startupGrace = startupGrace;
	}

	public Duration getRequestTimeout() {
		return this.requestTimeout;
	}

	public void setRequestTimeout(Duration requestTimeout) {
		this.requestTimeout = requestTimeout;
	}

	public Duration getKeepaliveTime() {
		return this.keepaliveTime;
	}

	public void setKeepaliveTime(Duration keepaliveTime) {
		this.keepaliveTime = keepaliveTime;
	}

	public Duration getKeepaliveTimeout() {
		return this.keepaliveTimeout;
	}

	public void setKeepaliveTimeout(Duration keepaliveTimeout) {
		this.keepaliveTimeout = keepaliveTimeout;
	}

	public DataSize getMaxInboundMessageSize() {
		return this.maxInboundMessageSize;
	}

	public void setMaxInboundMessageSize(DataSize maxInboundMessageSize) {
		this.maxInboundMessageSize = maxInboundMessageSize;
	}

	public boolean isFailFast() {
		return this.failFast;
	}

	public void setFailFast(boolean failFast) {
		this.failFast = failFast;
	}

	public Ssl getSsl() {
		return this.ssl;
	}

	public Retry getRetry() {
		return this.retry;
	}

	public Watch getWatch() {
		return this.watch;
	}

	@Override
	public void afterPropertiesSet() {
		validate();
	}

	/**
	 * Check every value, failing on the first bad one.
	 * @throws InvalidConfigurationPropertyValueException naming the property and what is valid
	 */
	public void validate() {
		if (this.endpoints == null || this.endpoints.isEmpty()) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.endpoints", null,
					"At least one endpoint is required, for example http://127.0.0.1:2379.");
		}
		for (int i = 0; i < this.endpoints.size(); i++) {
			endpoint(i);
		}
		positive("coordination.etcd.connect-timeout", this.connectTimeout);
		positive("coordination.etcd.request-timeout", this.requestTimeout);
		if (this.startupGrace == null || this.startupGrace.isNegative()) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.startup-grace", this.startupGrace,
					"Must be zero or a positive duration, for example 5s.");
		}
		positive("coordination.etcd.keepalive-time", this.keepaliveTime);
		positive("coordination.etcd.keepalive-timeout", this.keepaliveTimeout);
		positive("coordination.etcd.retry.delay", this.retry.delay);
		positive("coordination.etcd.retry.max-delay", this.retry.maxDelay);
		Duration progressInterval = this.watch.progressInterval;
		if (progressInterval == null || progressInterval.isNegative()) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.watch.progress-interval",
					progressInterval, "Must be a positive duration, for example 5s, or 0 to never ask for progress.");
		}
		if (this.retry.maxDelay.compareTo(this.retry.delay) < 0) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.retry.max-delay",
					this.retry.maxDelay, "Must not be smaller than coordination.etcd.retry.delay ("
							+ this.retry.delay + ").");
		}
		if (this.maxInboundMessageSize == null || this.maxInboundMessageSize.toBytes() <= 0
				|| this.maxInboundMessageSize.toBytes() > Integer.MAX_VALUE) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.max-inbound-message-size",
					this.maxInboundMessageSize, "Must be positive and at most 2GB, for example 16MB.");
		}
		if (StringUtils.hasText(this.username) && this.password == null) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.password", null,
					"Must be set when coordination.etcd.username is set.");
		}
		if (!StringUtils.hasText(this.username) && this.password != null) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.username", null,
					"Must be set when coordination.etcd.password is set.");
		}
		if (this.namespace != null && this.namespace.isEmpty()) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.namespace", this.namespace,
					"Must not be empty; leave it unset for no namespace.");
		}
		boolean https = this.endpoints.stream().anyMatch((endpoint) -> endpoint.trim().startsWith("https://"));
		boolean http = this.endpoints.stream().anyMatch((endpoint) -> endpoint.trim().startsWith("http://"));
		if (https && http) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.endpoints", this.endpoints,
					"All endpoints must use the same scheme, http:// or https://.");
		}
		if (https && !StringUtils.hasText(this.ssl.bundle)) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.ssl.bundle", null,
					"An SSL bundle is required for https:// endpoints (jetcd would otherwise connect in"
							+ " plaintext); configure one under spring.ssl.bundle and name it here.");
		}
		if (http && StringUtils.hasText(this.ssl.bundle)) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.endpoints", this.endpoints,
					"Endpoints must use https:// when coordination.etcd.ssl.bundle is set.");
		}
	}

	/**
	 * The endpoint at {@code index} as a URI.
	 * @param index the index in {@link #getEndpoints()}
	 * @return the URI
	 * @throws InvalidConfigurationPropertyValueException when it is not http(s)://host:port
	 */
	URI endpoint(int index) {
		String name = "coordination.etcd.endpoints[" + index + "]";
		String value = this.endpoints.get(index);
		String reason = "Must be a URI of the form http://host:port or https://host:port.";
		if (!StringUtils.hasText(value)) {
			throw new InvalidConfigurationPropertyValueException(name, value, reason);
		}
		try {
			URI uri = new URI(value.trim());
			if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
					|| uri.getPort() < 0) {
				throw new InvalidConfigurationPropertyValueException(name, value, reason);
			}
			return uri;
		}
		catch (URISyntaxException ex) {
			throw new InvalidConfigurationPropertyValueException(name, value, reason + " " + ex.getMessage());
		}
	}

	private static void positive(String name, @Nullable Duration value) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw new InvalidConfigurationPropertyValueException(name, value, "Must be a positive duration, for example 5s.");
		}
	}

	/**
	 * TLS settings.
	 */
	public static class Ssl {

		/**
		 * Name of the SSL bundle (spring.ssl.bundle.*) with the trust material, and the client
		 * certificate for mutual TLS. Required for https:// endpoints.
		 */
		private @Nullable String bundle;

		public @Nullable String getBundle() {
			return this.bundle;
		}

		public void setBundle(@Nullable String bundle) {
			this.bundle = bundle;
		}

	}

	/**
	 * How every loop that retries waits between attempts: the session asking for a lease, elections
	 * campaigning, lock releases, watches reading again, registrations, and jetcd's own retries of
	 * idempotent calls. Every call stays bounded by the request timeout.
	 */
	public static class Retry {

		/**
		 * Delay before the first retry.
		 */
		private Duration delay = Duration.ofMillis(100);

		/**
		 * Longest delay between retries, reached by doubling the delay after each failure.
		 */
		private Duration maxDelay = Duration.ofSeconds(1);

		public Duration getDelay() {
			return this.delay;
		}

		public void setDelay(Duration delay) {
			this.delay = delay;
		}

		public Duration getMaxDelay() {
			return this.maxDelay;
		}

		public void setMaxDelay(Duration maxDelay) {
			this.maxDelay = maxDelay;
		}

	}

	/**
	 * Settings of the watches that keep the configuration, the service catalog, the feature flags
	 * and the elections current.
	 */
	public static class Watch {

		/**
		 * How often each watch asks etcd how far it is (a progress request), where every member runs
		 * etcd 3.4.31+ or 3.5.13+, whose answers come in order with the events. The answer keeps a
		 * quiet watch's revision current, and a watch left unanswered twice in a row is reported
		 * disconnected (configuration health 'stale') instead of waiting for gRPC's keep-alive.
		 * 0 never asks.
		 */
		private Duration progressInterval = Duration.ofSeconds(5);

		public Duration getProgressInterval() {
			return this.progressInterval;
		}

		public void setProgressInterval(Duration progressInterval) {
			this.progressInterval = progressInterval;
		}

	}

}
