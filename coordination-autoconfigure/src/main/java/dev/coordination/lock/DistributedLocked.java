package dev.coordination.lock;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method holding the distributed lock of a key computed from its arguments:
 * {@code @DistributedLocked(key = "'orders/' + #order.id", waitTime = "5s")}.
 * <p>
 * The key is a SpEL expression over the arguments, by name ({@code #order}) or position
 * ({@code #p0}); it is parsed when the bean is created, and a syntax error or a reference to a
 * variable the method does not have ({@code #orderId} on {@code process(String id)}) fails start-up
 * naming the method and the valid names. An expression that evaluates to {@code null} or an empty
 * text, or that concatenates a part that is {@code null} in this call ({@code 'orders/' + #id} with
 * {@code id} null, which would otherwise give the one key {@code orders/null}), fails the call with
 * an {@link IllegalArgumentException} naming the method. Inside the method,
 * {@link LockContext#currentToken()} gives the fencing token.
 * <p>
 * With {@code coordination.enabled=false} or {@code coordination.etcd.lock.enabled=false}, no lock
 * is ever acquired: every call behaves as one whose lock was not acquired in time.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface DistributedLocked {

	/**
	 * SpEL expression of the lock key, over the method's arguments.
	 * @return the expression
	 */
	String key();

	/**
	 * How long to wait for the lock, as a duration ({@code 5s}, {@code 500ms}); {@code 0} tries
	 * once. Empty means {@code coordination.etcd.lock.default-wait-time}.
	 * @return the wait time
	 */
	String waitTime() default "";

	/**
	 * How long the lock stays held at least, counted from its acquisition, as a duration
	 * ({@code 30s}, {@code 500ms}): a call that finishes earlier returns at once, and the lock is
	 * released once that time has passed, so that instances whose clocks differ a little do not run
	 * a scheduled job twice. Empty or {@code 0} releases it when the call finishes. With a
	 * non-zero value the method runs under a {@link LockHold} that belongs to no thread
	 * ({@link LockContext#currentHold()} and {@link LockContext#currentToken()} give it, and a
	 * nested call of the same key by the same thread waits as any other caller would). Works for
	 * synchronous methods and methods returning a {@code CompletionStage}; a method returning a
	 * reactive type fails when its bean is created.
	 * @return the minimum hold time
	 */
	String holdAtLeast() default "";

	/**
	 * What to do when the lock was not acquired in time.
	 * @return the behaviour
	 */
	OnTimeout onTimeout() default OnTimeout.THROW;

	/**
	 * A bounded name for metrics (the evaluated key never becomes a tag). Empty means the
	 * method's {@code Class.method} name.
	 * @return the name
	 */
	String name() default "";

	/**
	 * What a call does when the lock was not acquired in time.
	 */
	enum OnTimeout {

		/**
		 * Throw {@link LockNotAcquiredException}.
		 */
		THROW,

		/**
		 * Skip the call: return {@code null}, an empty {@code Optional}, or nothing for {@code void}.
		 */
		SKIP

	}

}
