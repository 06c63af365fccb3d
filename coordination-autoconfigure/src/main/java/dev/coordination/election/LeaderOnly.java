package dev.coordination.election;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.core.annotation.AliasFor;

/**
 * Runs the annotated method (or every public method of the annotated class) only on the leader of
 * an election. The check is made at every call against the session's local deadline, without an
 * etcd call, so a leader that was paused past its lease never runs the work.
 * <p>
 * A method whose return type cannot express "skipped" (a primitive) is rejected with
 * {@link OnNotLeader#SKIP} when the bean is created. Inside the method,
 * {@link LeaderContext#currentTerm()} gives the fencing token and
 * {@link LeaderContext#isStillLeader()} tells whether leadership still holds.
 */
@Target({ ElementType.METHOD, ElementType.TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LeaderOnly {

	/**
	 * Alias for {@link #election()}.
	 * @return the election name
	 */
	@AliasFor("election")
	String value() default LeaderElection.DEFAULT;

	/**
	 * The election whose leader runs the method.
	 * @return the election name
	 */
	@AliasFor("value")
	String election() default LeaderElection.DEFAULT;

	/**
	 * What a call on a non-leader does.
	 * @return the behaviour
	 */
	OnNotLeader onNotLeader() default OnNotLeader.SKIP;

	/**
	 * Whether to interrupt the thread running the method when leadership is revoked meanwhile.
	 * @return {@code true} to interrupt
	 */
	boolean interruptOnRevoke() default false;

	/**
	 * What a call on a non-leader does.
	 */
	enum OnNotLeader {

		/**
		 * Skip the call: return {@code null}, an empty {@code Optional}, or nothing for {@code void}.
		 */
		SKIP,

		/**
		 * Throw {@link NotLeaderException}.
		 */
		THROW

	}

}
