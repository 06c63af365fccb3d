package dev.coordination.lock.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import dev.coordination.lock.LockHold;

/**
 * What {@link dev.coordination.lock.DistributedLocked} methods report for metrics, by the lock's bounded name (never the
 * evaluated key). The Micrometer implementation is used when a {@code MeterRegistry} exists.
 */
public interface LockMetrics {

	/**
	 * Records nothing.
	 */
	LockMetrics NONE = new LockMetrics() {
	};

	/**
	 * Observe an acquisition attempt.
	 * @param name the lock's name
	 * @param acquisition the attempt
	 * @return whether the lock was acquired
	 * @throws InterruptedException when interrupted while waiting
	 */
	default boolean acquire(String name, Acquisition acquisition) throws InterruptedException {
		return acquisition.acquire();
	}

	/**
	 * Observe an asynchronous acquisition, from its start until the returned future completes.
	 * @param name the lock's name
	 * @param acquisition starts the acquisition
	 * @return the acquisition's future
	 */
	default CompletableFuture<LockHold> acquireAsync(String name, Supplier<CompletableFuture<LockHold>> acquisition) {
		return acquisition.get();
	}

	/**
	 * A hold ended.
	 * @param name the lock's name
	 * @param held how long the lock was held
	 */
	default void held(String name, Duration held) {
	}

	/**
	 * A hold was lost with the session.
	 * @param name the lock's name
	 */
	default void lost(String name) {
	}

	/**
	 * An acquisition attempt.
	 */
	@FunctionalInterface
	interface Acquisition {

		/**
		 * Try to acquire.
		 * @return whether the lock was acquired in time
		 * @throws InterruptedException when interrupted while waiting
		 */
		boolean acquire() throws InterruptedException;

	}

}
