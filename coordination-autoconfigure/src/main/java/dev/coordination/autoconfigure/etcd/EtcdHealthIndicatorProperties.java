package dev.coordination.autoconfigure.etcd;

import java.time.Duration;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration properties of the {@code etcd} health indicator ({@code management.health.etcd.*}),
 * named as Spring Boot names the settings of its own health indicators.
 * <p>
 * Validated when bound: a bad value fails start-up with the property name and what would be valid.
 */
@ConfigurationProperties("management.health.etcd")
public class EtcdHealthIndicatorProperties implements InitializingBean {

	/**
	 * How old the result of the last etcd status check may get before a health request starts a new
	 * check in the background; the request itself answers from the last result at once. 0 starts a
	 * check on every request, still never more than one at a time.
	 */
	private Duration interval = Duration.ofSeconds(10);

	public Duration getInterval() {
		return this.interval;
	}

	public void setInterval(Duration interval) {
		this.interval = interval;
	}

	@Override
	public void afterPropertiesSet() {
		if (this.interval == null || this.interval.isNegative()) {
			throw new InvalidConfigurationPropertyValueException("management.health.etcd.interval", this.interval,
					"Must be a duration of 0 or more, for example 10s.");
		}
	}

}
