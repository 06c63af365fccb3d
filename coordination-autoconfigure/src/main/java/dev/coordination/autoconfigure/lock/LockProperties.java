package dev.coordination.autoconfigure.lock;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of distributed locks ({@code coordination.etcd.lock.*}).
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
	 * Whether to interrupt the thread holding a lock when the lock is lost with the session.
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
