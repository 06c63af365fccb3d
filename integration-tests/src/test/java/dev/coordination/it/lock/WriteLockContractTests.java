package dev.coordination.it.lock;

import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.HeldLock;

/**
 * The lock contract kept by the write lock of a read-write lock: writers exclude each other.
 */
class WriteLockContractTests extends AbstractLockContractTests {

	@Override
	Contender contender(DistributedLockRegistry registry, String key) {
		return lock(registry.readWriteLock(key).writeLock());
	}

	@Override
	String keyPrefix(String key) {
		return "/rwlocks/" + key + "/";
	}

	@Override
	HeldLock.Kind kind() {
		return HeldLock.Kind.WRITE;
	}

}
