package dev.coordination.lock;

import java.time.Duration;

import dev.coordination.lock.internal.ReactorLocking;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.util.Assert;

/**
 * The locks of a {@link DistributedLockRegistry} for Project Reactor: a bean when Reactor is on the
 * classpath. Waiting for a lock holds no thread; the work is subscribed to once the lock is held and
 * the lock is released when the work completes, fails or is cancelled, before the subscriber hears
 * of it. Inside the work, {@link #currentHold()} gives the hold and its fencing token.
 * <p>
 * Same guarantees as the registry's locks, with which they exclude each other: an asynchronous hold
 * is a {@link LockHold} of the key's {@link DistributedLock}. Holds are not reentrant: work that
 * asks for a lock its own hold already has waits for itself until its wait time passes.
 */
public final class ReactiveLocks {

	private final DistributedLockRegistry registry;

	private final Duration defaultWaitTime;

	/**
	 * Create the reactive locks of a registry.
	 * @param registry the registry
	 * @param defaultWaitTime how long {@code withLock} without a wait time waits
	 * ({@code coordination.etcd.lock.wait-time})
	 */
	public ReactiveLocks(DistributedLockRegistry registry, Duration defaultWaitTime) {
		Assert.notNull(registry, "registry must not be null");
		Assert.isTrue(defaultWaitTime != null && !defaultWaitTime.isNegative(), "defaultWaitTime must not be negative");
		this.registry = registry;
		this.defaultWaitTime = defaultWaitTime;
	}

	/**
	 * Acquire the lock of {@code key} when subscribed to: emits the hold once held, which the
	 * subscriber then owns and must {@linkplain LockHold#release() release}. Cancelling while waiting
	 * gives up the acquisition.
	 * @param key the key
	 * @param waitTime how long to wait at most; {@link Duration#ZERO} tries once
	 * @return the hold, or an error with {@link LockNotAcquiredException} when the wait time passed
	 */
	public Mono<LockHold> acquire(String key, Duration waitTime) {
		return Mono.fromFuture(() -> this.registry.acquireAsync(key, waitTime), false);
	}

	/**
	 * Run {@code work} holding the lock of {@code key}, waiting for it at most the default wait time.
	 * @param <T> the value type
	 * @param key the key
	 * @param work the work, subscribed to once the lock is held
	 * @return the work's outcome, or an error with {@link LockNotAcquiredException} when the lock was
	 * not acquired in time, or with {@link LockLostException} when it was lost while the work ran
	 */
	public <T> Mono<T> withLock(String key, Mono<T> work) {
		return withLock(key, this.defaultWaitTime, work);
	}

	/**
	 * Run {@code work} holding the lock of {@code key}.
	 * @param <T> the value type
	 * @param key the key
	 * @param waitTime how long to wait at most; {@link Duration#ZERO} tries once
	 * @param work the work, subscribed to once the lock is held
	 * @return the work's outcome, or an error with {@link LockNotAcquiredException} when the lock was
	 * not acquired in time, or with {@link LockLostException} when it was lost while the work ran
	 */
	public <T> Mono<T> withLock(String key, Duration waitTime, Mono<T> work) {
		return ReactorLocking.withLock(() -> this.registry.acquireAsync(key, waitTime), false, work,
				ReactorLocking.Released.NONE);
	}

	/**
	 * Run {@code work} holding the lock of {@code key}, waiting for it at most the default wait time.
	 * @param <T> the value type
	 * @param key the key
	 * @param work the work, subscribed to once the lock is held
	 * @return the work's values, then an error with {@link LockLostException} when the lock was lost
	 * while the work ran; or an error with {@link LockNotAcquiredException} when the lock was not
	 * acquired in time
	 */
	public <T> Flux<T> withLock(String key, Flux<T> work) {
		return withLock(key, this.defaultWaitTime, work);
	}

	/**
	 * Run {@code work} holding the lock of {@code key}.
	 * @param <T> the value type
	 * @param key the key
	 * @param waitTime how long to wait at most; {@link Duration#ZERO} tries once
	 * @param work the work, subscribed to once the lock is held
	 * @return the work's values, then an error with {@link LockLostException} when the lock was lost
	 * while the work ran; or an error with {@link LockNotAcquiredException} when the lock was not
	 * acquired in time
	 */
	public <T> Flux<T> withLock(String key, Duration waitTime, Flux<T> work) {
		return ReactorLocking.withLock(() -> this.registry.acquireAsync(key, waitTime), false, work,
				ReactorLocking.Released.NONE);
	}

	/**
	 * The hold the work runs under: inside {@code withLock}, or a {@code @DistributedLocked} method
	 * that returns a reactive type.
	 * @return the hold, or empty outside such work
	 */
	public static Mono<LockHold> currentHold() {
		return Mono.deferContextual((context) -> Mono.justOrEmpty(context.getOrEmpty(LockHold.class)));
	}

}
