package dev.coordination.election;

import java.util.Optional;

import dev.coordination.election.internal.LeaderContextHolder.Running;
import dev.coordination.election.internal.LeaderContextHolder;

/**
 * What a {@link LeaderOnly} method can learn about the leadership it runs under, on the thread
 * that runs the method body. Work that the method hands back ({@code CompletionStage},
 * {@code Mono}, {@code Flux}) runs later, on other threads: read the term in the method body, or in
 * a reactive pipeline with {@link ReactiveLeaderContext}.
 */
public final class LeaderContext {

	private LeaderContext() {
	}

	/**
	 * The term the current {@code @LeaderOnly} method was started under.
	 * @return the term, empty outside a {@code @LeaderOnly} method
	 */
	public static Optional<LeaderTerm> currentTerm() {
		Running running = LeaderContextHolder.current();
		return (running != null) ? Optional.of(running.term()) : Optional.empty();
	}

	/**
	 * Whether the term the current {@code @LeaderOnly} method was started under still holds: the
	 * same term, and the session provably alive. Check it before an irreversible step.
	 * @return {@code true} when still leading in the same term
	 */
	public static boolean isStillLeader() {
		Running running = LeaderContextHolder.current();
		return running != null && running.isStillLeader();
	}

}
