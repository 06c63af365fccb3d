package dev.coordination.election;

import java.util.Optional;

/**
 * What a {@link LeaderOnly} method can learn about the leadership it runs under.
 */
public final class LeaderContext {

	private static final ThreadLocal<Running> current = new ThreadLocal<>();

	private LeaderContext() {
	}

	/**
	 * The term the current {@code @LeaderOnly} method was started under.
	 * @return the term, empty outside a {@code @LeaderOnly} method
	 */
	public static Optional<LeaderTerm> currentTerm() {
		Running running = current.get();
		return (running != null) ? Optional.of(running.term()) : Optional.empty();
	}

	/**
	 * Whether the term the current {@code @LeaderOnly} method was started under still holds: the
	 * same term, and the session provably alive. Check it before an irreversible step.
	 * @return {@code true} when still leading in the same term
	 */
	public static boolean isStillLeader() {
		Running running = current.get();
		return running != null && running.election()
			.currentTerm()
			.map((term) -> term.token() == running.term().token())
			.orElse(false);
	}

	static Running enter(LeaderElection election, LeaderTerm term) {
		Running previous = current.get();
		current.set(new Running(election, term));
		return previous;
	}

	static void exit(Running previous) {
		if (previous != null) {
			current.set(previous);
		}
		else {
			current.remove();
		}
	}

	record Running(LeaderElection election, LeaderTerm term) {
	}

}
