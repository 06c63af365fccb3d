package dev.coordination.autoconfigure.discovery;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of service discovery ({@code coordination.etcd.discovery.*}).
 */
@ConfigurationProperties("coordination.etcd.discovery")
public class DiscoveryProperties {

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
	private String serviceId;

	/**
	 * Instance id, unique within the service. Defaults to {service-id}-{host}-{port}.
	 */
	private String instanceId;

	/**
	 * Host name or address other instances reach this one at. Defaults to this machine's host name,
	 * or its address with prefer-ip-address.
	 */
	private String host;

	/**
	 * Whether to register this machine's IP address rather than its host name, when no host is set.
	 */
	private boolean preferIpAddress;

	/**
	 * Port other instances reach this one at. Defaults to the web server's port; an application
	 * without a web server registers only when it is set.
	 */
	private Integer port;

	/**
	 * Whether this instance is reached over https.
	 */
	private boolean secure;

	/**
	 * Zone of this instance, published with the registration and as metadata "zone".
	 */
	private String zone;

	/**
	 * Metadata published with the registration.
	 */
	private Map<String, String> metadata = new LinkedHashMap<>();

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

	public String getServiceId() {
		return this.serviceId;
	}

	public void setServiceId(String serviceId) {
		this.serviceId = serviceId;
	}

	public String getInstanceId() {
		return this.instanceId;
	}

	public void setInstanceId(String instanceId) {
		this.instanceId = instanceId;
	}

	public String getHost() {
		return this.host;
	}

	public void setHost(String host) {
		this.host = host;
	}

	public boolean isPreferIpAddress() {
		return this.preferIpAddress;
	}

	public void setPreferIpAddress(boolean preferIpAddress) {
		this.preferIpAddress = preferIpAddress;
	}

	public Integer getPort() {
		return this.port;
	}

	public void setPort(Integer port) {
		this.port = port;
	}

	public boolean isSecure() {
		return this.secure;
	}

	public void setSecure(boolean secure) {
		this.secure = secure;
	}

	public String getZone() {
		return this.zone;
	}

	public void setZone(String zone) {
		this.zone = zone;
	}

	public Map<String, String> getMetadata() {
		return this.metadata;
	}

	public void setMetadata(Map<String, String> metadata) {
		this.metadata = metadata;
	}

	public Health getHealth() {
		return this.health;
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
		private String group;

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

		public String getGroup() {
			return this.group;
		}

		public void setGroup(String group) {
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

}
