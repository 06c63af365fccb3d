package dev.coordination.autoconfigure.session;

import java.time.Duration;

import dev.coordination.session.internal.EtcdSession;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration properties of the coordination session ({@code coordination.etcd.session.*}).
 */
@ConfigurationProperties("coordination.etcd.session")
public class SessionProperties implements InitializingBean {

	/**
	 * TTL of the session lease, in whole seconds, at least 2s (etcd's minimum). Leadership,
	 * locks and registrations of an instance that died are released after at most this long.
	 */
	private Duration ttl = Duration.ofSeconds(10);

	/**
	 * How long before the lease could expire on etcd the session stops counting as valid:
	 * leaders step down and locks count as lost that much earlier. Covers clock drift between
	 * this host and etcd, and pauses. Must be smaller than the TTL.
	 */
	private Duration safetyMargin = Duration.ofSeconds(2);

	public Duration getTtl() {
		return this.ttl;
	}

	public void setTtl(Duration ttl) {
		this.ttl = ttl;
	}

	public Duration getSafetyMargin() {
		return this.safetyMargin;
	}

	public void setSafetyMargin(Duration safetyMargin) {
		this.safetyMargin = safetyMargin;
	}

	// etcd's MaxLeaseTTL
	private static final long MAXIMUM_TTL_SECONDS = 9_000_000_000L;

	@Override
	public void afterPropertiesSet() {
		if (this.ttl == null || this.ttl.compareTo(EtcdSession.MINIMUM_TTL) < 0) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.session.ttl", this.ttl,
					"Must be at least " + EtcdSession.MINIMUM_TTL.toSeconds()
							+ "s: etcd does not keep leases shorter than about 2s. 10s suits most applications.");
		}
		if (this.ttl.getSeconds() > MAXIMUM_TTL_SECONDS) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.session.ttl", this.ttl,
					"Must be at most " + MAXIMUM_TTL_SECONDS + "s, etcd's longest lease; 10s suits most applications.");
		}
		if (this.ttl.toMillis() % 1000 != 0) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.session.ttl", this.ttl,
					"Must be a whole number of seconds (etcd lease TTLs are seconds), for example 10s.");
		}
		if (this.safetyMargin == null || this.safetyMargin.isNegative() || this.safetyMargin.isZero()
				|| this.safetyMargin.compareTo(this.ttl) >= 0) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.session.safety-margin",
					this.safetyMargin, "Must be positive and smaller than coordination.etcd.session.ttl (" + this.ttl
							+ "), for example a fifth of it.");
		}
	}

}
