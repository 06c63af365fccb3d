package dev.coordination.lock.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import dev.coordination.lock.LockHold;
import dev.coordination.lock.LockLostException;
import dev.coordination.lock.LockNotAcquiredException;
import org.aopalliance.intercept.MethodInvocation;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.core.ReactiveAdapter;

/**
 * Work that holds a lock, in Project Reactor: the lock is acquired when the work is subscribed to,
 * without a thread waiting, the work is subscribed to once it is held (with the {@link LockHold} in
 * the Reactor context under {@code LockHold.class}), and the hold is released when the work
 * completes, fails or is cancelled, before the subscriber hears of it. Loaded only when Reactor is
 * on the classpath.
 */
public final class ReactorLocking {

	private ReactorLocking() {
	}

	/**
	 * Hold a lock around single-value work.
	 * @param <T> the value type
	 * @param acquisition starts an acquisition, at each subscription
	 * @param skipOnTimeout whether a lock not acquired in time completes empty instead of failing
	 * @param work the work
	 * @param released told when a hold ends
	 * @return the work under the lock
	 */
	public static <T> Mono<T> withLock(Supplier<CompletableFuture<LockHold>> acquisition, boolean skipOnTimeout,
			Mono<T> work, Released released) {
		// the value reaches the subscriber with the completion, after the release
		return withLock(acquisition, skipOnTimeout, (Publisher<T>) work, released).singleOrEmpty();
	}

	/**
	 * Hold a lock around multi-value work.
	 * @param <T> the value type
	 * @param acquisition starts an acquisition, at each subscription
	 * @param skipOnTimeout whether a lock not acquired in time completes empty instead of failing
	 * @param work the work
	 * @param released told when a hold ends
	 * @return the work under the lock
	 */
	public static <T> Flux<T> withLock(Supplier<CompletableFuture<LockHold>> acquisition, boolean skipOnTimeout,
			Publisher<T> work, Released released) {
		// the release is part of the work, so that a loss it reports is the work's own error (Reactor
		// wraps an error of a usingWhen clean-up); the clean-ups release what did not get that far
		return Flux.usingWhen(acquire(acquisition, skipOnTimeout),
				(held) -> guarded(held, work).concatWith(release(held, released).then(Mono.empty())),
				(held) -> releaseQuietly(held, released), (held, error) -> releaseAfter(held, error, released),
				(held) -> releaseQuietly(held, released));
	}

	/**
	 * Run a {@code @DistributedLocked} method returning a reactive type: the method itself runs at
	 * each subscription, once the lock is held, with the hold in {@link LockContextHolder}.
	 * @param invocation the call
	 * @param adapter the adapter of the method's return type
	 * @param acquisition starts an acquisition
	 * @param skipOnTimeout whether a lock not acquired in time completes empty instead of failing
	 * @param released told when a hold ends
	 * @return the method's return type, under the lock
	 */
	static Object invoke(MethodInvocation invocation, ReactiveAdapter adapter,
			Supplier<CompletableFuture<LockHold>> acquisition, boolean skipOnTimeout, Released released) {
		MethodInvocation base = invocable(invocation);
		Flux<Object> work = Flux.deferContextual((context) -> {
			LockHold hold = context.get(LockHold.class);
			Object previous = LockContextHolder.enter(hold);
			Object returned;
			try {
				returned = invocable(base).proceed();
			}
			catch (Throwable ex) {
				return Flux.error(ex);
			}
			finally {
				LockContextHolder.exit(previous);
			}
			return (returned != null) ? Flux.from(adapter.toPublisher(returned)) : Flux.empty();
		});
		Publisher<Object> locked = adapter.isMultiValue() ? withLock(acquisition, skipOnTimeout, work, released)
				: withLock(acquisition, skipOnTimeout, work.next(), released);
		return adapter.fromPublisher(locked);
	}

	/**
	 * A call that can go on later, on another thread, and more than once: a clone per call.
	 * @param invocation the call of an interceptor
	 * @return a call to proceed with
	 */
	static MethodInvocation invocable(MethodInvocation invocation) {
		return (invocation instanceof ProxyMethodInvocation proxy) ? proxy.invocableClone() : invocation;
	}

	/**
	 * The failure inside a future's wrapper.
	 * @param failure what a future completed with
	 * @return its cause for {@link CompletionException} and {@link ExecutionException}, else itself
	 */
	static Throwable unwrap(Throwable failure) {
		Throwable cause = failure;
		while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
			cause = cause.getCause();
		}
		return cause;
	}

	private static Mono<Held> acquire(Supplier<CompletableFuture<LockHold>> acquisition, boolean skipOnTimeout) {
		// cancelling the subscription cancels the acquisition, which releases a hold acquired meanwhile
		Mono<Held> held = Mono.fromFuture(acquisition, false).map(Held::new);
		return skipOnTimeout ? held.onErrorResume(LockNotAcquiredException.class, (ex) -> Mono.empty()) : held;
	}

	private static <T> Flux<T> guarded(Held held, Publisher<T> work) {
		Flux<T> guarded = Flux.from(work);
		if (held.hold() instanceof InterruptibleHold interruptible) {
			// a hold lost with interrupt-on-loss stops the work; its release then reports the loss
			guarded = guarded.takeUntilOther(Mono.fromFuture(interruptible.interruption(), true));
		}
		return guarded.contextWrite((context) -> context.put(LockHold.class, held.hold()));
	}

	private static Mono<Void> release(Held held, Released released) {
		return Mono.defer(() -> {
			// once only: a second release (a clean-up after the work's own) returns the same future
			CompletableFuture<Void> release = held.hold().release();
			if (held.reported().compareAndSet(false, true)) {
				release.whenComplete((done, failure) -> released.released(System.nanoTime() - held.since(),
						failure != null));
			}
			return Mono.fromFuture(release, true);
		});
	}

	private static Mono<Void> releaseAfter(Held held, Throwable error, Released released) {
		return release(held, released).onErrorResume(LockLostException.class, (lost) -> {
			// the work's own failure wins; the loss goes with it (unless the failure is the loss)
			if (lost != error) {
				error.addSuppressed(lost);
			}
			return Mono.empty();
		});
	}

	private static Mono<Void> releaseQuietly(Held held, Released released) {
		return release(held, released).onErrorResume((ex) -> Mono.empty());
	}

	/**
	 * Told when a hold of a method ends.
	 */
	@FunctionalInterface
	public interface Released {

		/**
		 * A hold ended.
		 * @param heldNanos how long it was held
		 * @param lost whether it had been lost
		 */
		void released(long heldNanos, boolean lost);

		/**
		 * Tells nothing.
		 */
		Released NONE = (heldNanos, lost) -> {
		};

	}

	private record Held(LockHold hold, long since, AtomicBoolean reported) {

		Held(LockHold hold) {
			this(hold, System.nanoTime(), new AtomicBoolean());
		}

	}

}
