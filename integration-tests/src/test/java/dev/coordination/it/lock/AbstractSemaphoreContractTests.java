package dev.coordination.it.lock;

import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.HeldLock;

/**
 * The lock contract as semaphores keep it: holds are permits, which belong to no thread.
 */
abstract class AbstractSemaphoreContractTests extends AbstractLockContractTests {

	@Override
	abstract int permits();

	@Override
	Contender contender(DistributedLockRegistry registry, String key) {
		return semaphore(registry.semaphore(key, permits()));
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
