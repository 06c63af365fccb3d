package dev.coordination.it.lock;

import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.HeldLock;

/**
 * The lock contract kept by a semaphore of three permits: at most three holds at once, and three
 * holds keep a fourth out.
 */
class SemaphoreContractTests extends AbstractLockContractTests {

	private static final int PERMITS = 3;

	@Override
	Contender contender(DistributedLockRegistry registry, String key) {
		return semaphore(registry.semaphore(key, PERMITS));
	}

	@Override
	int permits() {
		return PERMITS;
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
