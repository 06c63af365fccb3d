package dev.coordination.autoconfigure.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import dev.coordination.etcd.internal.EtcdKeys;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration properties of configuration from etcd ({@code coordination.etcd.config.*}). The
 * prefix, profile separator, format and data key are read while {@code spring.config.import=etcd:}
 * is processed, so set them where the import is (application.yml, command line, environment).
 * <p>
 * {@link #afterPropertiesSet()} checks every value, as Boot's {@code OAuth2ClientProperties} does:
 * an invalid one fails with an {@link InvalidConfigurationPropertyValueException} that names the
 * property and what would be valid. The {@code determine...} methods give the checked values in
 * the form the starter uses them.
 */
@ConfigurationProperties(ConfigProperties.PREFIX)
public class ConfigProperties implements InitializingBean {

	/**
	 * The prefix of these properties.
	 */
	public static final String PREFIX = "coordination.etcd.config";

	private static final List<String> FORMATS = List.of("key-value", "yaml", "properties");

	/**
	 * Key prefix of the configuration contexts that spring.config.import=etcd: reads:
	 * {prefix}/application/, {prefix}/application,{profile}/, {prefix}/{spring.application.name}/ and
	 * {prefix}/{spring.application.name},{profile}/.
	 */
	private String prefix = "/config";

	/**
	 * Separator between a context name and a profile in configuration context names, as in
	 * /config/orders,dev/.
	 */
	private String profileSeparator = ",";

	/**
	 * How configuration contexts are stored: key-value (one key per property,
	 * /config/orders/database/host is database.host), yaml or properties (one document in the
	 * context's data key).
	 */
	private String format = "key-value";

	/**
	 * Key, under each configuration context, of its YAML or properties document when the format is
	 * yaml or properties.
	 */
	private String dataKey = "data";

	private final Watch watch = new Watch();

	private final Flags flags = new Flags();

	private final Snapshots snapshots = new Snapshots();

	/**
	 * Check every property.
	 * @throws InvalidConfigurationPropertyValueException naming the first property that is not
	 * valid
	 */
	@Override
	public void afterPropertiesSet() {
		String prefix = determinePrefix();
		determineFormat();
		Duration delay = this.watch.getDelay();
		if (delay == null || delay.isNegative()) {
			throw new InvalidConfigurationPropertyValueException(PREFIX + ".watch.delay", delay,
					"Must be zero or a positive duration, for example 20ms.");
		}
		checkApart(prefix, "flags.prefix", this.flags.determinePrefix(), this.flags.getPrefix(), "/flags");
		checkApart(prefix, "snapshots.prefix", this.snapshots.determinePrefix(), this.snapshots.getPrefix(),
				"/config-snapshots");
	}

	// the configuration is only read; what the starter writes lives apart from it
	private static void checkApart(String prefix, String property, String normalised, @Nullable String value,
			String example) {
		if ((normalised + "/").startsWith(prefix + "/") || (prefix + "/").startsWith(normalised + "/")) {
			throw new InvalidConfigurationPropertyValueException(PREFIX + "." + property, value,
					"Must be outside the configuration prefix " + prefix + " (" + PREFIX
							+ ".prefix) and not contain it, for example " + example + ".");
		}
	}

	/**
	 * The configuration prefix, normalised: starts with {@code /}, no trailing {@code /}.
	 * @return the prefix, for example {@code /config}
	 * @throws InvalidConfigurationPropertyValueException when it is not valid
	 */
	public String determinePrefix() {
		return prefix(PREFIX + ".prefix", this.prefix);
	}

	/**
	 * The format, in lower case.
	 * @return {@code key-value}, {@code yaml} or {@code properties}
	 * @throws InvalidConfigurationPropertyValueException when it is none of them
	 */
	public String determineFormat() {
		String format = (this.format != null) ? this.format.trim().toLowerCase(Locale.ROOT) : "";
		if (!FORMATS.contains(format)) {
			throw new InvalidConfigurationPropertyValueException(PREFIX + ".format", this.format,
					"Must be key-value (one key per property), yaml or properties (one document in the data key).");
		}
		return format;
	}

	private static String prefix(String property, String value) {
		try {
			return EtcdKeys.prefix(property, value);
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidConfigurationPropertyValueException(property, value, ex.getMessage());
		}
	}

	public String getPrefix() {
		return this.prefix;
	}

	public void setPrefix(String prefix) {
		this.prefix = prefix;
	}

	public String getProfileSeparator() {
		return this.profileSeparator;
	}

	public void setProfileSeparator(String profileSeparator) {
		this.profileSeparator = profileSeparator;
	}

	public String getFormat() {
		return this.format;
	}

	public void setFormat(String format) {
		this.format = format;
	}

	public String getDataKey() {
		return this.dataKey;
	}

	public void setDataKey(String dataKey) {
		this.dataKey = dataKey;
	}

	public Watch getWatch() {
		return this.watch;
	}

	public Flags getFlags() {
		return this.flags;
	}

	public Snapshots getSnapshots() {
		return this.snapshots;
	}

	/**
	 * Live refresh of the imported configuration.
	 */
	public static class Watch {

		/**
		 * Whether to watch the imported configuration and apply changes to the Environment while
		 * the application runs.
		 */
		private boolean enabled = true;

		/**
		 * Shortest time between two refreshes. The first change after a quiet period at least this
		 * long is applied at once; changes that arrive within this long of the last refresh are
		 * gathered and applied together when it has passed, so a burst of puts becomes one refresh
		 * per delay and the last value always wins. 0 applies every change as it arrives.
		 */
		private Duration delay = Duration.ofMillis(20);

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getDelay() {
			return this.delay;
		}

		public void setDelay(Duration delay) {
			this.delay = delay;
		}

	}

	/**
	 * Feature flags.
	 */
	public static class Flags {

		/**
		 * Key prefix of the feature flags: a flag is the key {prefix}/{name} holding true or false.
		 */
		private String prefix = "/flags";

		/**
		 * The prefix of the flags, normalised: starts with {@code /}, no trailing {@code /}.
		 * @return the prefix, for example {@code /flags}
		 * @throws InvalidConfigurationPropertyValueException when it is not valid
		 */
		public String determinePrefix() {
			return prefix(PREFIX + ".flags.prefix", this.prefix);
		}

		public String getPrefix() {
			return this.prefix;
		}

		public void setPrefix(String prefix) {
			this.prefix = prefix;
		}

	}

	/**
	 * Configuration snapshots.
	 */
	public static class Snapshots {

		/**
		 * Key prefix of saved configuration snapshots; must be outside the configuration prefix.
		 */
		private String prefix = "/config-snapshots";

		/**
		 * The prefix of the snapshots, normalised: starts with {@code /}, no trailing {@code /}.
		 * @return the prefix, for example {@code /config-snapshots}
		 * @throws InvalidConfigurationPropertyValueException when it is not valid
		 */
		public String determinePrefix() {
			return prefix(PREFIX + ".snapshots.prefix", this.prefix);
		}

		public String getPrefix() {
			return this.prefix;
		}

		public void setPrefix(String prefix) {
			this.prefix = prefix;
		}

	}

}
