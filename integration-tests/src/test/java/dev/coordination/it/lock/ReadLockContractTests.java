package dev.coordination.it.lock;

import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.HeldLock;

/**
 * The lock contract kept by the read lock of a read-write lock. Readers share, so exclusion is
 * tested against writers: no reader holds beside a writer, and a writer keeps readers out.
 */
class ReadLockContractTests extends AbstractLockContractTests {

	@Override
	Contender contender(DistributedLockRegistry registry, String key) {
		return lock(registry.readWriteLock(key).readLock());
	}

	@Override
	Contender rival(DistributedLockRegistry registry, String key) {
		return lock(registry.readWriteLock(key).writeLock());
	}

	@Override
	int permits() {
		return Integer.MAX_VALUE;
	}

	@Override
	int excluders() {
		return 1;
	}

	@Override
	boolean mayHoldTogether(int readers, int writers) {
		return writers == 0 || (writers == 1 && readers == 0);
	}

	@Override
	String keyPrefix(String key) {
		return "/rwlocks/" + key + "/";
	}

	@Override
	HeldLock.Kind kind() {
		return HeldLock.Kind.READ;
	}

}
