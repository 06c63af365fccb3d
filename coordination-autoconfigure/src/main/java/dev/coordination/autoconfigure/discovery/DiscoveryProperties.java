package dev.coordination.autoconfigure.discovery;

import java.time.Duration;

import dev.coordination.etcd.internal.EtcdKeys;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration properties of service discovery ({@code coordination.etcd.discovery.*}).
 */
@ConfigurationProperties("coordination.etcd.discovery")
public class DiscoveryProperties implements InitializingBean {

	private static final String PREFIX_PROPERTY = "coordination.etcd.discovery.prefix";

	/**
	 * Whether to enable service discovery: the catalog of registered instances and, unless
	 * register is false, this instance's registration.
	 */
	private boolean enabled = true;

	/**
	 * Whether to register this instance when the application is ready.
	 */
	private boolean register = true;

	/**
	 * Key prefix of all registrations: an instance is registered at {prefix}/{service-id}/{instance-id}.
	 */
	private String prefix = "/services";

	/**
	 * Service id to register under. Defaults to spring.application.name.
	 */
	private @Nullable String serviceId;

	/**
	 * Whether this instance is reached over https.
	 */
	private boolean secure;

	/**
	 * Zone of this instance, published with the registration and as metadata "zone".
	 */
	private @Nullable String zone;

	/**
	 * How Spring Cloud LoadBalancer picks an instance of a service for the load-balanced clients
	 * (RestClient, RestTemplate, WebClient with @LoadBalanced): round-robin (Spring Cloud's own
	 * default), random, or least-connections (the instance with the fewest calls this application
	 * has in flight to it). Applies to every service without its own @LoadBalancerClient
	 * configuration. Needs spring-cloud-loadbalancer.
	 */
	private LoadBalancer loadBalancer = LoadBalancer.ROUND_ROBIN;

	/**
	 * Health-driven status.
	 */
	private final Health health = new Health();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public boolean isRegister() {
		return this.register;
	}

	public void setRegister(boolean register) {
		this.register = register;
	}

	public String getPrefix() {
		return this.prefix;
	}

	public void setPrefix(String prefix) {
		this.prefix = prefix;
	}

	public @Nullable String getServiceId() {
		return this.serviceId;
	}

	public void setServiceId(@Nullable String serviceId) {
		this.serviceId = serviceId;
	}

	public boolean isSecure() {
		return this.secure;
	}

	public void setSecure(boolean secure) {
		this.secure = secure;
	}

	public @Nullable String getZone() {
		return this.zone;
	}

	public void setZone(@Nullable String zone) {
		this.zone = zone;
	}

	public LoadBalancer getLoadBalancer() {
		return this.loadBalancer;
	}

	public void setLoadBalancer(LoadBalancer loadBalancer) {
		this.loadBalancer = loadBalancer;
	}

	public Health getHealth() {
		return this.health;
	}

	/**
	 * The key prefix, normalised: a leading {@code /}, no trailing one.
	 * @return the prefix
	 * @throws InvalidConfigurationPropertyValueException when it is not a usable prefix
	 */
	public String keyPrefix() {
		return EtcdKeys.prefix(PREFIX_PROPERTY, this.prefix);
	}

	@Override
	public void afterPropertiesSet() {
		keyPrefix();
		Duration interval = this.health.getInterval();
		if (interval == null || interval.isNegative() || interval.isZero()) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.discovery.health.interval",
					interval, "Must be a positive duration, for example 5s.");
		}
	}

	/**
	 * Health-driven status of the registration.
	 */
	public static class Health {

		/**
		 * Whether to publish this instance as DOWN (or deregister it) while its health is DOWN or
		 * OUT_OF_SERVICE. The starter's own health indicators do not count. Needs actuator.
		 */
		private boolean enabled = true;

		/**
		 * Health group to follow, for example "readiness". Defaults to the whole health, without the
		 * starter's own indicators.
		 */
		private @Nullable String group;

		/**
		 * How often to check the health.
		 */
		private Duration interval = Duration.ofSeconds(5);

		/**
		 * What to do while the health is DOWN: mark-down publishes the instance with status DOWN,
		 * deregister removes its registration until the health is UP again.
		 */
		private DownAction downAction = DownAction.MARK_DOWN;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public @Nullable String getGroup() {
			return this.group;
		}

		public void setGroup(@Nullable String group) {
			this.group = group;
		}

		public Duration getInterval() {
			return this.interval;
		}

		public void setInterval(Duration interval) {
			this.interval = interval;
		}

		public DownAction getDownAction() {
			return this.downAction;
		}

		public void setDownAction(DownAction downAction) {
			this.downAction = downAction;
		}

	}

	/**
	 * What a DOWN health does to the registration.
	 */
	public enum DownAction {

		/**
		 * Publish the instance with status DOWN: lookups skip it, it stays visible.
		 */
		MARK_DOWN,

		/**
		 * Remove the registration until the health is UP again.
		 */
		DEREGISTER

	}

	/**
	 * How Spring Cloud LoadBalancer picks an instance of a service.
	 */
	public enum LoadBalancer {

		/**
		 * The instances in turn: Spring Cloud LoadBalancer's own default, left in place.
		 */
		ROUND_ROBIN,

		/**
		 * An instance at random (Spring Cloud's {@code RandomLoadBalancer}).
		 */
		RANDOM,

		/**
		 * The instance with the fewest calls in flight from this application through the
		 * load-balanced clients; ties are taken in turn.
		 */
		LEAST_CONNECTIONS

	}

}
