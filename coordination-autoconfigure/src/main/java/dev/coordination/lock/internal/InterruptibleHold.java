package dev.coordination.lock.internal;

import java.util.concurrent.CompletableFuture;

import dev.coordination.lock.LockHold;
import org.jspecify.annotations.Nullable;

/**
 * An asynchronous hold that tells when its work should stop: the hold was lost with the session and
 * {@code coordination.etcd.lock.interrupt-on-loss} asks to interrupt holders. What the asynchronous
 * {@code @DistributedLocked} methods cancel their work on.
 */
interface InterruptibleHold extends LockHold {

	/**
	 * Completes when the work holding this should stop.
	 * @return the future
	 */
	CompletableFuture<@Nullable Void> interruption();

}
