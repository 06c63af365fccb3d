package dev.coordination.lock.internal;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedLocked;
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
 */
public class DistributedLockedAdvisor extends AbstractPointcutAdvisor {

	// the annotation may sit on an interface method: a class proxy must find it there too
	private final Pointcut pointcut = new AnnotationMatchingPointcut(null, DistributedLocked.class, true);

	private final Advice advice;

	public DistributedLockedAdvisor(Supplier<DistributedLockRegistry> registry, Duration defaultWaitTime,
			Supplier<LockMetrics> metrics) {
		this.advice = new Interceptor(registry, defaultWaitTime, metrics);
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

		Interceptor(Supplier<DistributedLockRegistry> registry, Duration defaultWaitTime, Supplier<LockMetrics> metrics) {
			this.registry = registry;
			this.defaultWaitTime = defaultWaitTime;
			this.metrics = metrics;
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
			DistributedLock lock = this.registry.get().obtain(locked.key(target, invocation.getArguments()));
			LockMetrics metrics = this.metrics.get();
			if (!metrics.acquire(locked.name(),
					() -> lock.tryLock(locked.waitTime().toNanos(), TimeUnit.NANOSECONDS))) {
				if (locked.onTimeout() == DistributedLocked.OnTimeout.THROW) {
					throw new LockNotAcquiredException(lock.key(), locked.waitTime());
				}
				return locked.skipped();
			}
			long acquiredAt = System.nanoTime();
			DistributedLock previous = LockContextHolder.enter(lock);
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

}
