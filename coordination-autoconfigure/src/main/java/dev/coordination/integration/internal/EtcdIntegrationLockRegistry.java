package dev.coordination.integration.internal;

import java.time.Duration;

import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;

import org.springframework.integration.support.locks.RenewableLockRegistry;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.util.Assert;

/**
 * Spring Integration's {@link org.springframework.integration.support.locks.LockRegistry} over the
 * starter's {@link DistributedLockRegistry}: {@link #obtain(Object)} returns the starter's
 * {@link DistributedLock} of the key, so a holder can read its fencing token, and the
 * {@code executeLocked} methods run under it. The lock is also Spring Integration's
 * {@link org.springframework.integration.support.locks.DistributedLock}, whose {@code ttl}
 * arguments are ignored.
 * <p>
 * Keys are {@link String}s, as with Spring Integration's JDBC and Redis registries. A hold lives on
 * the instance's coordination session, whose keep-alives keep it as long as the session is valid: no
 * per-lock time to live exists to renew. {@link #renewLock(Object)} is therefore a check without an
 * etcd call: it returns when the current thread's hold is still provably alive and throws
 * {@link IllegalStateException} otherwise; its {@code ttl} argument is ignored, and so is the
 * renewal task scheduler. Thread-safe.
 */
public final class EtcdIntegrationLockRegistry implements RenewableLockRegistry<DistributedLock> {

	private final DistributedLockRegistry locks;

	public EtcdIntegrationLockRegistry(DistributedLockRegistry locks) {
		this.locks = locks;
	}

	@Override
	public DistributedLock obtain(Object lockKey) {
		return new IntegrationLock(this.locks.obtain(key(lockKey)));
	}

	/**
	 * Check that the current thread still holds the lock of {@code lockKey}. The session's
	 * keep-alives keep the hold; nothing is sent to etcd.
	 * @param lockKey the key, a {@link String}
	 * @throws IllegalStateException when the current thread does not hold the lock, or its hold
	 * was lost with the coordination session
	 */
	@Override
	public void renewLock(Object lockKey) {
		String key = key(lockKey);
		if (!this.locks.obtain(key).isHeldByCurrentThread()) {
			throw new IllegalStateException("Cannot renew lock '" + key + "': the current thread does not hold it, "
					+ "or its hold was lost with the coordination session");
		}
	}

	/**
	 * Same as {@link #renewLock(Object)}: a hold lives as long as the coordination session
	 * ({@code coordination.etcd.session.ttl}), so {@code ttl} is ignored.
	 * @param lockKey the key, a {@link String}
	 * @param ttl ignored
	 * @throws IllegalStateException when the current thread does not hold the lock, or its hold
	 * was lost with the coordination session
	 */
	@Override
	public void renewLock(Object lockKey, Duration ttl) {
		renewLock(lockKey);
	}

	/**
	 * Accepted and not used: the coordination session keeps every hold alive.
	 * @param renewalTaskScheduler ignored
	 */
	@Override
	public void setRenewalTaskScheduler(TaskScheduler renewalTaskScheduler) {
	}

	private static String key(Object lockKey) {
		Assert.notNull(lockKey, "Lock key must not be null");
		if (!(lockKey instanceof String key)) {
			throw new IllegalArgumentException("Lock key must be a String, not " + lockKey.getClass().getName()
					+ " (" + lockKey + "): etcd locks are keyed by text");
		}
		return key;
	}

}
