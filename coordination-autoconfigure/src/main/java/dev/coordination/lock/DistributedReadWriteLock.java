package dev.coordination.lock;

import java.util.concurrent.locks.ReadWriteLock;

/**
 * A read-write lock shared by every instance of the application: many readers, in this instance
 * and others, or one writer. Like {@link java.util.concurrent.locks.ReentrantReadWriteLock}, both
 * locks are reentrant, a writer may also take the read lock (and keep it after releasing the write
 * lock), and a reader cannot upgrade to the write lock.
 * <p>
 * Each instance's readers share one etcd key under {@code <prefix>/<key>/read/}; a writer writes
 * one under {@code <prefix>/<key>/write/}. A reader waits for writers created before it, a writer
 * for everything created before it, so neither kind starves the other. The layout is that of
 * etcd's Go {@code recipe.RWMutex}.
 * <p>
 * Both locks keep the {@link DistributedLock} contract; a lost read or write hold is told apart by
 * {@link HeldLock.Kind}.
 */
public interface DistributedReadWriteLock extends ReadWriteLock {

	/**
	 * The key this lock protects.
	 * @return the key
	 */
	String key();

	/**
	 * The read lock: shared with other readers, excluded by a writer. Its fencing token is the
	 * create revision of this instance's read key.
	 * @return the read lock
	 */
	@Override
	DistributedLock readLock();

	/**
	 * The write lock: excludes every reader and writer. Its fencing token is the create revision of
	 * this instance's write key.
	 * @return the write lock
	 */
	@Override
	DistributedLock writeLock();

}
