package dev.coordination.lock;

import java.time.Instant;

/**
 * A lock, read or write hold, or semaphore permit held by this instance, for diagnostics.
 *
 * @param key the key of the lock or semaphore
 * @param kind what is held
 * @param token the fencing token of the hold: the create revision of this instance's key
 * @param since when this instance acquired it in etcd
 * @param waitingThreads threads of this instance waiting for it
 */
public record HeldLock(String key, Kind kind, long token, Instant since, int waitingThreads) {

	/**
	 * What is held.
	 */
	public enum Kind {

		/**
		 * A {@link DistributedLock} from {@link DistributedLockRegistry#obtain(String)}.
		 */
		LOCK,

		/**
		 * The read lock of a {@link DistributedReadWriteLock}, shared by this instance's readers.
		 */
		READ,

		/**
		 * The write lock of a {@link DistributedReadWriteLock}.
		 */
		WRITE,

		/**
		 * One permit of a {@link DistributedSemaphore}.
		 */
		PERMIT

	}

}
