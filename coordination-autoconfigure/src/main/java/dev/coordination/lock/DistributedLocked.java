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
 * ({@code #p0}); it is parsed when the bean is created, and an expression that evaluates to
 * {@code null} or an empty text fails the call with an {@link IllegalArgumentException} naming the
 * method. Inside the method, {@link LockContext#currentToken()} gives the fencing token.
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
