package dev.coordination.integration.internal;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.lock.DistributedLock;
import org.jspecify.annotations.Nullable;

/**
 * The starter's {@link DistributedLock} of a key, seen also as Spring Integration's
 * {@link org.springframework.integration.support.locks.DistributedLock}, so code written for Spring
 * Integration's JDBC or Redis registries that calls {@code lock(ttl)} or {@code tryLock(wait, ttl)}
 * keeps working. The {@code ttl} is not needed and ignored: a hold lives on the instance's
 * coordination session, which etcd expires when the instance dies, and which the instance stops
 * trusting before etcd could.
 */
final class IntegrationLock implements DistributedLock, org.springframework.integration.support.locks.DistributedLock {

	private final DistributedLock lock;

	IntegrationLock(DistributedLock lock) {
		this.lock = lock;
	}

	@Override
	public void lock(Duration ttl) {
		this.lock.lock();
	}

	@Override
	public boolean tryLock(Duration waitTime, Duration ttl) throws InterruptedException {
		return this.lock.tryLock(waitTime.toNanos(), TimeUnit.NANOSECONDS);
	}

	@Override
	public String key() {
		return this.lock.key();
	}

	@Override
	public boolean isHeldByCurrentThread() {
		return this.lock.isHeldByCurrentThread();
	}

	@Override
	public OptionalLong fencingToken() {
		return this.lock.fencingToken();
	}

	@Override
	public WriteResult fencedWrite(FencedWrite write) {
		return this.lock.fencedWrite(write);
	}

	@Override
	public <T extends @Nullable Object> T executeLocked(Duration waitTime, LockedTask<T> task) throws Exception {
		return this.lock.executeLocked(waitTime, task);
	}

	@Override
	public void lock() {
		this.lock.lock();
	}

	@Override
	public void lockInterruptibly() throws InterruptedException {
		this.lock.lockInterruptibly();
	}

	@Override
	public boolean tryLock() {
		return this.lock.tryLock();
	}

	@Override
	public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
		return this.lock.tryLock(time, unit);
	}

	@Override
	public void unlock() {
		this.lock.unlock();
	}

	@Override
	public Condition newCondition() {
		return this.lock.newCondition();
	}

	@Override
	public String toString() {
		return this.lock.toString();
	}

}
