package dev.coordination.lock.internal;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.coordination.etcd.internal.AsyncReturnType;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockHold;
import dev.coordination.lock.LockLostException;
import dev.coordination.lock.LockNotAcquiredException;
import org.aopalliance.aop.Advice;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.Assert;

/**
 * Applies {@link DistributedLocked} to annotated methods: evaluate the key, acquire its lock within
 * the wait time, run the method, release.
 * <p>
 * A lock not acquired in time throws {@link LockNotAcquiredException} or skips the call, as the
 * annotation says. A lock lost while the method ran makes the call throw {@link LockLostException},
 * unless the method failed itself: its own exception wins and carries the loss as suppressed.
 * The registry and metrics are looked up at the first call.
 * <p>
 * A method that returns a {@code CompletionStage} or a reactive type holds the lock until its work
 * is done ({@link AsyncReturnType}): the call returns at once, the lock is acquired without a thread
 * waiting (for a publisher, when it is subscribed to), the method runs once it is held, and the
 * lock is released when the returned stage completes or the publisher terminates or is cancelled;
 * only then does the caller see the outcome. Not acquired in time, or lost, arrives as the stage's
 * or publisher's error (or, skipped, as a {@code null} result or an empty publisher), never as an
 * exception of the call.
 * <p>
 * {@linkplain #disabled Turned off} ({@code coordination.enabled=false} or
 * {@code coordination.etcd.lock.enabled=false}), every call takes the path of a lock that was not
 * acquired, at once and without a registry: {@link LockNotAcquiredException} saying which property
 * turned locks off, or a skipped call with {@code onTimeout = SKIP}. The method never runs
 * unprotected.
 */
public class DistributedLockedAdvisor extends AbstractPointcutAdvisor {

	/**
	 * Before {@code @Transactional} and other advisors at Spring's default order (the lowest
	 * precedence), after {@code @LeaderOnly}: a transaction begins once the lock is held and ends
	 * before it is released.
	 */
	public static final int ORDER = Ordered.LOWEST_PRECEDENCE - 100;

	// the annotation may sit on an interface method: a class proxy must find it there too
	private final Pointcut pointcut = new AnnotationMatchingPointcut(null, DistributedLocked.class, true);

	private final Advice advice;

	public DistributedLockedAdvisor(Supplier<DistributedLockRegistry> registry, Duration defaultWaitTime,
			Supplier<LockMetrics> metrics) {
		this.advice = new Interceptor(registry, defaultWaitTime, metrics, null);
		setOrder(ORDER);
	}

	private DistributedLockedAdvisor(Duration defaultWaitTime, String disabledBy) {
		this.advice = new Interceptor(() -> {
			throw new IllegalStateException("Distributed locks are off: " + disabledBy);
		}, defaultWaitTime, () -> LockMetrics.NONE, disabledBy);
		setOrder(ORDER);
	}

	/**
	 * The advisor of an application whose distributed locks are turned off: no lock is ever
	 * acquired.
	 * @param defaultWaitTime the wait time of methods that name none
	 * @param disabledBy the property that turned them off, such as {@code coordination.enabled=false}
	 * @return the advisor
	 */
	public static DistributedLockedAdvisor disabled(Duration defaultWaitTime, String disabledBy) {
		return new DistributedLockedAdvisor(defaultWaitTime, disabledBy);
	}

	@Override
	public Pointcut getPointcut() {
		return this.pointcut;
	}

	@Override
	public Advice getAdvice() {
		return this.advice;
	}

	private static final class Interceptor implements MethodInterceptor {

		private final Supplier<DistributedLockRegistry> registry;

		private final Duration defaultWaitTime;

		private final Map<Method, LockedMethod> methods = new ConcurrentHashMap<>();

		private final Supplier<LockMetrics> metrics;

		private final @Nullable String disabledBy;

		Interceptor(Supplier<DistributedLockRegistry> registry, Duration defaultWaitTime, Supplier<LockMetrics> metrics,
				@Nullable String disabledBy) {
			this.registry = registry;
			this.defaultWaitTime = defaultWaitTime;
			this.metrics = metrics;
			this.disabledBy = disabledBy;
		}

		private LockNotAcquiredException disabled(String key, String disabledBy) {
			return new LockNotAcquiredException(key, "Lock '" + key + "' was not acquired: distributed locks are off ("
					+ disabledBy + "), so no @DistributedLocked method runs; remove " + disabledBy
					+ " to acquire them in etcd");
		}

		private CompletableFuture<LockHold> acquireAsync(String key, LockedMethod locked) {
			String disabledBy = this.disabledBy;
			if (disabledBy != null) {
				return CompletableFuture.failedFuture(disabled(key, disabledBy));
			}
			return this.registry.get().acquireAsync(key, locked.waitTime());
		}

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			Object target = invocation.getThis();
			Method method = AopUtils.getMostSpecificMethod(invocation.getMethod(),
					(target != null) ? AopUtils.getTargetClass(target) : invocation.getMethod().getDeclaringClass());
			LockedMethod locked = this.methods.computeIfAbsent(method, (key) -> {
				DistributedLocked annotation = AnnotatedElementUtils.findMergedAnnotation(key, DistributedLocked.class);
				Assert.state(annotation != null, () -> LockedMethod.describe(key)
						+ " is not annotated with @DistributedLocked, yet the advisor matched it");
				return LockedMethod.of(key, annotation, this.defaultWaitTime);
			});
			String key = locked.key(target, invocation.getArguments());
			switch (locked.returnType().kind()) {
				case COMPLETION_STAGE:
					return invokeAsync(invocation, locked, key);
				case PUBLISHER:
					return ReactorLocking.invoke(invocation, locked.returnType().adapter(),
							() -> this.metrics.get().acquireAsync(locked.name(),
									() -> acquireAsync(key, locked)),
							locked.onTimeout() == DistributedLocked.OnTimeout.SKIP, releaseReporter(locked));
				default:
					break;
			}
			if (!locked.holdAtLeast().isZero()) {
				return invokeHoldingAtLeast(invocation, locked, key);
			}
			String disabledBy = this.disabledBy;
			if (disabledBy != null) {
				if (locked.onTimeout() == DistributedLocked.OnTimeout.THROW) {
					throw disabled(key, disabledBy);
				}
				return locked.skipped();
			}
			DistributedLock lock = this.registry.get().obtain(key);
			LockMetrics metrics = this.metrics.get();
			if (!metrics.acquire(locked.name(),
					() -> lock.tryLock(locked.waitTime().toNanos(), TimeUnit.NANOSECONDS))) {
				if (locked.onTimeout() == DistributedLocked.OnTimeout.THROW) {
					throw (lock instanceof AbstractDistributedLock own) ? own.owner().notAcquired(own.description(),
							locked.waitTime()) : new LockNotAcquiredException(lock.key(), locked.waitTime());
				}
				return locked.skipped();
			}
			long acquiredAt = System.nanoTime();
			Object previous = LockContextHolder.enter(lock);
			Object result;
			try {
				result = invocation.proceed();
			}
			catch (Throwable failure) {
				LockContextHolder.exit(previous);
				release(lock, locked, metrics, acquiredAt, failure);
				throw failure;
			}
			LockContextHolder.exit(previous);
			release(lock, locked, metrics, acquiredAt, null);
			return result;
		}

		/**
		 * A synchronous method with a minimum hold time: run it under a hold that belongs to no thread, so
		 * that the release can come after the call returned.
		 */
		private @Nullable Object invokeHoldingAtLeast(MethodInvocation invocation, LockedMethod locked, String key)
				throws Throwable {
			LockMetrics metrics = this.metrics.get();
			CompletableFuture<LockHold> acquisition = metrics.acquireAsync(locked.name(),
					() -> acquireAsync(key, locked));
			LockHold hold;
			try {
				// the acquisition fails by itself once the wait time passed; the slack covers its etcd calls
				hold = acquisition.get(locked.waitTime().plusSeconds(60).toNanos(), TimeUnit.NANOSECONDS);
			}
			catch (InterruptedException | TimeoutException ex) {
				if (!acquisition.cancel(false)) {
					// acquired just now: nobody will use it
					acquisition.thenAccept(LockHold::release);
				}
				throw ex;
			}
			catch (ExecutionException ex) {
				Throwable cause = ReactorLocking.unwrap(ex);
				if (cause instanceof LockNotAcquiredException && locked.onTimeout() == DistributedLocked.OnTimeout.SKIP) {
					return locked.skipped();
				}
				throw cause;
			}
			long acquiredAt = System.nanoTime();
			Object previous = LockContextHolder.enter(hold);
			// the hold belongs to no thread: interrupt-on-loss reaches this one through the hold
			CallerInterrupt interrupt = new CallerInterrupt();
			if (hold instanceof InterruptibleHold interruptible) {
				interruptible.interruption().thenRun(interrupt::interrupt);
			}
			Object result;
			try {
				result = invocation.proceed();
			}
			catch (Throwable failure) {
				interrupt.finish();
				LockContextHolder.exit(previous);
				if (!hold.isValid()) {
					metrics.lost(locked.name());
					failure.addSuppressed(new LockLostException(hold.key(), hold.fencingToken()));
				}
				releaseAfterMinimum(hold, locked, metrics, acquiredAt);
				throw failure;
			}
			interrupt.finish();
			LockContextHolder.exit(previous);
			boolean valid = hold.isValid();
			releaseAfterMinimum(hold, locked, metrics, acquiredAt);
			if (!valid) {
				metrics.lost(locked.name());
				throw new LockLostException(hold.key(), hold.fencingToken());
			}
			return result;
		}

		/**
		 * Release a hold once its minimum hold time has passed since its acquisition: at once, or by a
		 * delayed task (no thread waits). A loss was reported to the caller already, or is reported to the
		 * lock listeners.
		 */
		private void releaseAfterMinimum(LockHold hold, LockedMethod locked, LockMetrics metrics,
				long acquiredAt) {
			long remaining = locked.holdAtLeast().toNanos() - (System.nanoTime() - acquiredAt);
			Runnable release = () -> {
				metrics.held(locked.name(), Duration.ofNanos(System.nanoTime() - acquiredAt));
				hold.release().exceptionally((ex) -> null);
			};
			if (remaining <= 0) {
				release.run();
			}
			else if (this.registry.get() instanceof EtcdLockRegistry etcd) {
				etcd.schedule(release, remaining);
			}
			else {
				CompletableFuture.delayedExecutor(remaining, TimeUnit.NANOSECONDS).execute(release);
			}
		}

		/**
		 * A method returning a {@code CompletionStage}: acquire without waiting, run it once held, release
		 * when its stage completes, then complete the returned one.
		 */
		private CompletableFuture<@Nullable Object> invokeAsync(MethodInvocation invocation, LockedMethod locked,
				String key) {
			MethodInvocation call = ReactorLocking.invocable(invocation);
			LockMetrics metrics = this.metrics.get();
			CompletableFuture<@Nullable Object> result = new CompletableFuture<>();
			CompletableFuture<LockHold> acquisition = metrics.acquireAsync(locked.name(),
					() -> acquireAsync(key, locked));
			result.whenComplete((value, failure) -> {
				if (result.isCancelled()) {
					acquisition.cancel(false);
				}
			});
			acquisition.whenComplete((hold, failure) -> {
				if (failure != null) {
					Throwable cause = ReactorLocking.unwrap(failure);
					if (cause instanceof LockNotAcquiredException && locked.onTimeout() == DistributedLocked.OnTimeout.SKIP) {
						result.complete(null);
					}
					else {
						result.completeExceptionally(cause);
					}
					return;
				}
				long acquiredAt = System.nanoTime();
				Object previous = LockContextHolder.enter(hold);
				Object returned;
				try {
					returned = call.proceed();
				}
				catch (Throwable ex) {
					LockContextHolder.exit(previous);
					finish(hold, locked, metrics, acquiredAt, null, ex, result);
					return;
				}
				LockContextHolder.exit(previous);
				if (returned == null) {
					finish(hold, locked, metrics, acquiredAt, null, null, result);
					return;
				}
				CompletableFuture<?> work = ((CompletionStage<?>) returned).toCompletableFuture();
				result.whenComplete((value, failure2) -> {
					if (result.isCancelled()) {
						work.cancel(true);
					}
				});
				if (hold instanceof InterruptibleHold interruptible) {
					interruptible.interruption().thenRun(() -> work.completeExceptionally(
							new LockLostException(hold.key(), hold.fencingToken())));
				}
				work.whenComplete((value, workFailure) -> finish(hold, locked, metrics, acquiredAt, value,
						(workFailure != null) ? ReactorLocking.unwrap(workFailure) : null, result));
			});
			return result;
		}

		/**
		 * Release an asynchronous hold after its work, then complete the caller's stage: with the work's
		 * outcome, or the loss of the hold when the work succeeded.
		 */
		private void finish(LockHold hold, LockedMethod locked, LockMetrics metrics, long acquiredAt,
				@Nullable Object value, @Nullable Throwable failure, CompletableFuture<@Nullable Object> result) {
			if (!locked.holdAtLeast().isZero()) {
				// the caller sees the outcome now; the lock stays held until the minimum has passed
				boolean valid = hold.isValid();
				releaseAfterMinimum(hold, locked, metrics, acquiredAt);
				@Nullable LockLostException lost = valid ? null : new LockLostException(hold.key(), hold.fencingToken());
				if (lost != null) {
					metrics.lost(locked.name());
				}
				complete(result, value, failure, lost);
				return;
			}
			metrics.held(locked.name(), Duration.ofNanos(System.nanoTime() - acquiredAt));
			hold.release().whenComplete((released, releaseFailure) -> {
				Throwable lost = (releaseFailure != null) ? ReactorLocking.unwrap(releaseFailure) : null;
				if (lost instanceof LockLostException) {
					metrics.lost(locked.name());
				}
				complete(result, value, failure, lost);
			});
		}

		/**
		 * Complete the caller's stage with the work's outcome: its failure (with a loss of the hold
		 * suppressed in it), else the loss, else its value.
		 */
		private static void complete(CompletableFuture<@Nullable Object> result, @Nullable Object value,
				@Nullable Throwable failure, @Nullable Throwable lost) {
			if (failure != null) {
				if (lost != null) {
					failure.addSuppressed(lost);
				}
				result.completeExceptionally(failure);
			}
			else if (lost != null) {
				result.completeExceptionally(lost);
			}
			else {
				result.complete(value);
			}
		}

		/**
		 * What a publisher method reports when its hold ends: the held time, and a loss.
		 */
		private ReactorLocking.Released releaseReporter(LockedMethod locked) {
			return (heldNanos, lost) -> {
				LockMetrics metrics = this.metrics.get();
				metrics.held(locked.name(), Duration.ofNanos(heldNanos));
				if (lost) {
					metrics.lost(locked.name());
				}
			};
		}

		private static void release(DistributedLock lock, LockedMethod locked, LockMetrics metrics, long acquiredAt,
				@Nullable Throwable failure) {
			metrics.held(locked.name(), Duration.ofNanos(System.nanoTime() - acquiredAt));
			try {
				lock.unlock();
			}
			catch (LockLostException ex) {
				metrics.lost(locked.name());
				if (failure == null) {
					throw ex;
				}
				// the method's own failure wins; the loss is attached to it
				failure.addSuppressed(ex);
			}
		}

	}

	/**
	 * Interrupts the thread that runs a method when its hold is lost, until the method returned: an
	 * interrupt never reaches the thread's later work.
	 */
	private static final class CallerInterrupt {

		private final Thread thread = Thread.currentThread();

		private boolean finished;

		synchronized void interrupt() {
			if (!this.finished) {
				this.thread.interrupt();
			}
		}

		synchronized void finish() {
			this.finished = true;
		}

	}

}
