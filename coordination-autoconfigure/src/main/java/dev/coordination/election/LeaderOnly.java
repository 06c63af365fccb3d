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
 * <p>
 * Asynchronous methods: a method returning a {@code CompletionStage} (declared as
 * {@code CompletionStage} or {@code CompletableFuture}) is checked when called; a non-leader gets a
 * stage completed with {@code null} ({@link OnNotLeader#SKIP}) or failed with
 * {@link NotLeaderException} ({@link OnNotLeader#THROW}). A method returning a {@code Mono}, a
 * {@code Flux} or another reactive type is checked, and runs, at each subscription; a non-leader's
 * subscription completes empty or fails with {@code NotLeaderException}. Neither throws from the
 * call. The work's Reactor context holds the term ({@link ReactiveLeaderContext}). A return type
 * whose work runs later in a way the check cannot follow (a {@code Future} that is no
 * {@code CompletionStage}, a {@code Callable}, a Kotlin {@code suspend} function) fails bean
 * creation, naming the method.
 * <p>
 * With {@code coordination.enabled=false} or {@code coordination.etcd.election.enabled=false}, the
 * instance never leads: every call behaves as on an instance that is not the leader.
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
	 * Whether to stop the method's work when leadership is revoked meanwhile: a synchronous method's
	 * thread is interrupted; the stage a {@code CompletionStage} method returned fails with
	 * {@link NotLeaderException} (its own stage is cancelled), and the work of a reactive method is
	 * cancelled and its publisher fails with {@code NotLeaderException}.
	 * @return {@code true} to stop the work
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
