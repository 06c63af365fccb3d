package dev.coordination.lock;

import java.util.concurrent.CompletableFuture;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;

/**
 * A hold of a {@link DistributedLock} that belongs to no thread: from
 * {@link DistributedLockRegistry#acquireAsync}, the reactive {@link ReactiveLocks}, or a
 * {@link DistributedLocked} method that returns a {@code CompletionStage} or a reactive type. Any
 * thread may use it and release it.
 * <p>
 * Same contract as a thread's hold: valid only while the session lease it lives on is provably
 * alive; lost with the session (reported to the {@link LockListener}s, and {@link #release()} and
 * {@link #fencedWrite} then fail with {@link LockLostException}). Holds are not reentrant: a second
 * asynchronous acquisition of the same key in this instance waits for the first to be released,
 * and so does a thread of this instance.
 */
public interface LockHold {

	/**
	 * The key of the lock.
	 * @return the key
	 */
	String key();

	/**
	 * Fencing token of this hold: the create revision of this instance's key, growing from one hold
	 * to the next.
	 * @return the token
	 */
	long fencingToken();

	/**
	 * Whether the hold is still valid: not released, and its session lease provably alive. Answers
	 * from memory.
	 * @return {@code true} while valid
	 */
	boolean isValid();

	/**
	 * Write to etcd only while this hold's key still exists there with its fencing token, in one
	 * transaction; see {@link DistributedLock#fencedWrite(FencedWrite)}.
	 * @param write the puts and deletes, and conditions of the caller's own
	 * @return whether it was applied, and whether the hold's key still existed
	 * @throws LockLostException when the hold was lost
	 * @throws IllegalStateException when it was released
	 * @throws dev.coordination.etcd.EtcdAccessException when etcd did not answer; the write may
	 * still be applied later
	 */
	WriteResult fencedWrite(FencedWrite write);

	/**
	 * Release the hold, once; later calls return the same future. The lock passes to the next
	 * waiter of this instance, or the key is deleted, without the calling thread waiting for etcd.
	 * @return a future that completes when the hold is given up, or completes exceptionally with
	 * {@link LockLostException} when it had been lost
	 */
	CompletableFuture<Void> release();

}
