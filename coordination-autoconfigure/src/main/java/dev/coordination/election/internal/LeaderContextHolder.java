package dev.coordination.election.internal;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderTerm;
import org.jspecify.annotations.Nullable;

/**
 * The term the current thread's {@code @LeaderOnly} method runs under, read by
 * {@link dev.coordination.election.LeaderContext}. Reactive {@code @LeaderOnly} work carries the
 * same {@link Running} in its Reactor context, under {@code Running.class}.
 */
public final class LeaderContextHolder {

	private static final ThreadLocal<Running> current = new ThreadLocal<>();

	private LeaderContextHolder() {
	}

	/**
	 * The running method's election and term.
	 * @return them, or {@code null} outside a {@code @LeaderOnly} method
	 */
	public static @Nullable Running current() {
		return current.get();
	}

	static @Nullable Running enter(LeaderElection election, LeaderTerm term) {
		Running previous = current.get();
		current.set(new Running(election, term));
		return previous;
	}

	static void exit(@Nullable Running previous) {
		if (previous != null) {
			current.set(previous);
		}
		else {
			current.remove();
		}
	}

	/**
	 * A {@code @LeaderOnly} method running.
	 *
	 * @param election its election
	 * @param term the term it was started under
	 */
	public record Running(LeaderElection election, LeaderTerm term) {

		/**
		 * Whether the term still holds: the same term, and the session provably alive.
		 * @return {@code true} when this instance still leads in the same term
		 */
		public boolean isStillLeader() {
			return this.election.currentTerm().map((current) -> current.token() == this.term.token()).orElse(false);
		}

	}

}
