package dev.coordination.autoconfigure.lock;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.coordination.etcd.internal.EtcdKeys;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.core.env.Environment;

/**
 * Configuration properties of distributed locks ({@code coordination.etcd.lock.*}).
 * Checks itself when bound: each prefix, that no prefix contains another, and the default wait
 * time (which the {@code @DistributedLocked} infrastructure reads before this class is bound, through
 * {@link #defaultWaitTime(Environment)}).
 */
@ConfigurationProperties("coordination.etcd.lock")
public class LockProperties implements InitializingBean {

	private static final String DEFAULT_WAIT_TIME_PROPERTY = "coordination.etcd.lock.default-wait-time";

	/**
	 * Whether to enable distributed locks.
	 */
	private boolean enabled = true;

	/**
	 * Key prefix of all locks: an instance waiting for or holding lock {key} writes
	 * {prefix}/{key}/{leaseHex}, the layout of etcd's own locks, so "etcdctl lock {prefix}/{key}"
	 * excludes with it.
	 */
	private String prefix = "/locks";

	/**
	 * Key prefix of all read-write locks: readers of lock {key} write
	 * {read-write-prefix}/{key}/read/{leaseHex}-{registry}-{slot}, writers
	 * {read-write-prefix}/{key}/write/{leaseHex}-{registry}-{slot},
	 * the layout of etcd's Go recipe.RWMutex. Must not overlap the other prefixes.
	 */
	private String readWritePrefix = "/rwlocks";

	/**
	 * Key prefix of all semaphores: each permit of semaphore {key} is a key
	 * {semaphore-prefix}/{key}/{leaseHex}-{registry}-{slot}. Must not overlap the other prefixes.
	 */
	private String semaphorePrefix = "/semaphores";

	/**
	 * Whether to interrupt the threads holding a lock or a read or write lock when it is lost with
	 * the session, and the thread running a task of executeWithPermit when its permit is lost.
	 */
	private boolean interruptOnLoss;

	/**
	 * How long a @DistributedLocked method waits for its lock when the annotation names no wait
	 * time. Zero tries once.
	 */
	private Duration defaultWaitTime = Duration.ofSeconds(5);

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public String getPrefix() {
		return this.prefix;
	}

	public void setPrefix(String prefix) {
		this.prefix = prefix;
	}

	public String getReadWritePrefix() {
		return this.readWritePrefix;
	}

	public void setReadWritePrefix(String readWritePrefix) {
		this.readWritePrefix = readWritePrefix;
	}

	public String getSemaphorePrefix() {
		return this.semaphorePrefix;
	}

	public void setSemaphorePrefix(String semaphorePrefix) {
		this.semaphorePrefix = semaphorePrefix;
	}

	public boolean isInterruptOnLoss() {
		return this.interruptOnLoss;
	}

	public void setInterruptOnLoss(boolean interruptOnLoss) {
		this.interruptOnLoss = interruptOnLoss;
	}

	public Duration getDefaultWaitTime() {
		return this.defaultWaitTime;
	}

	public void setDefaultWaitTime(Duration defaultWaitTime) {
		this.defaultWaitTime = defaultWaitTime;
	}

	/**
	 * The normalised prefix of locks: a leading {@code /}, no trailing one.
	 * @return the prefix
	 */
	public String lockKeyPrefix() {
		return EtcdKeys.prefix("coordination.etcd.lock.prefix", this.prefix);
	}

	/**
	 * The normalised prefix of read-write locks.
	 * @return the prefix
	 */
	public String readWriteKeyPrefix() {
		return EtcdKeys.prefix("coordination.etcd.lock.read-write-prefix", this.readWritePrefix);
	}

	/**
	 * The normalised prefix of semaphores.
	 * @return the prefix
	 */
	public String semaphoreKeyPrefix() {
		return EtcdKeys.prefix("coordination.etcd.lock.semaphore-prefix", this.semaphorePrefix);
	}

	@Override
	public void afterPropertiesSet() {
		Map<String, String> prefixes = new LinkedHashMap<>();
		prefixes.put("coordination.etcd.lock.prefix", lockKeyPrefix());
		prefixes.put("coordination.etcd.lock.read-write-prefix", readWriteKeyPrefix());
		prefixes.put("coordination.etcd.lock.semaphore-prefix", semaphoreKeyPrefix());
		prefixes.forEach((property, prefix) -> prefixes.forEach((other, otherPrefix) -> {
			if (!property.equals(other) && ("/".equals(otherPrefix) || (prefix + "/").startsWith(otherPrefix + "/"))) {
				throw new InvalidConfigurationPropertyValueException(property, prefix, "Overlaps " + other + " ("
						+ otherPrefix + "): a key of one kind could be taken for a key of another. Use prefixes"
						+ " that do not contain each other, such as /locks, /rwlocks and /semaphores.");
			}
		}));
		checkDefaultWaitTime(this.defaultWaitTime);
	}

	/**
	 * The default wait time, read from the environment before this class is bound (the
	 * {@code @DistributedLocked} infrastructure is created first) and checked.
	 * @param environment the environment
	 * @return the default wait time
	 * @throws InvalidConfigurationPropertyValueException when it is negative
	 */
	public static Duration defaultWaitTime(Environment environment) {
		return checkDefaultWaitTime(
				Binder.get(environment).bind(DEFAULT_WAIT_TIME_PROPERTY, Duration.class).orElse(Duration.ofSeconds(5)));
	}

	private static Duration checkDefaultWaitTime(@Nullable Duration waitTime) {
		if (waitTime == null || waitTime.isNegative()) {
			throw new InvalidConfigurationPropertyValueException(DEFAULT_WAIT_TIME_PROPERTY, waitTime,
					"Must not be negative; 0 tries once.");
		}
		return waitTime;
	}

}
