package dev.coordination.it.lock;

import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.HeldLock;

/**
 * The lock contract kept by a semaphore of one permit: a lock whose holds belong to no thread.
 */
class SinglePermitSemaphoreContractTests extends AbstractLockContractTests {

	@Override
	Contender contender(DistributedLockRegistry registry, String key) {
		return semaphore(registry.semaphore(key, 1));
	}

	@Override
	boolean heldByThread() {
		return false;
	}

	@Override
	String keyPrefix(String key) {
		return "/semaphores/" + key + "/";
	}

	@Override
	HeldLock.Kind kind() {
		return HeldLock.Kind.PERMIT;
	}

}
