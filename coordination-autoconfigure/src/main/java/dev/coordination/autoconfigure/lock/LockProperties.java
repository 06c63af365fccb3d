package dev.coordination.autoconfigure.lock;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of distributed locks ({@code coordination.etcd.lock.*}).
 * <p>
 * Pure data: the prefixes are normalised and checked for overlaps by
 * {@link LockAutoConfiguration}, and the default wait time is read before this class is bound.
 */
@ConfigurationProperties("coordination.etcd.lock")
public class LockProperties {

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

}
