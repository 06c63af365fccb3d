package dev.coordination.it.lock;

import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.HeldLock;

/**
 * The lock contract kept by {@link DistributedLockRegistry#obtain(String) the lock}.
 */
class DistributedLockContractTests extends AbstractLockContractTests {

	@Override
	Contender contender(DistributedLockRegistry registry, String key) {
		return lock(registry.obtain(key));
	}

	@Override
	String keyPrefix(String key) {
		return "/locks/" + key + "/";
	}

	@Override
	HeldLock.Kind kind() {
		return HeldLock.Kind.LOCK;
	}

}
