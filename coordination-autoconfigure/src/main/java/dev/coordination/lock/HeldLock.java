package dev.coordination.lock;

import java.time.Instant;

/**
 * A lock held by this instance, for diagnostics.
 *
 * @param key the lock's key
 * @param token the fencing token of the hold
 * @param since when this instance acquired it in etcd
 * @param waitingThreads threads of this instance waiting for it
 */
public record HeldLock(String key, long token, Instant since, int waitingThreads) {
}
