package dev.coordination.election.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.NotLeaderException;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;

/**
 * The elections of an instance whose coordination is turned off ({@code coordination.enabled=false}
 * or {@code coordination.etcd.election.enabled=false}): this instance never leads, so
 * {@code @LeaderOnly} methods are skipped (or throw {@link NotLeaderException}) as on any instance
 * that is not the leader, and {@code @LeaderLifecycle} beans are never started. Never a bean: an
 * application that injects {@link LeaderElections} fails to start, which says that elections are off.
 */
public final class DisabledLeaderElections implements LeaderElections {

	private final String reason;

	private final Map<String, LeaderElection> elections = new ConcurrentHashMap<>();

	/**
	 * Create the elections of an instance whose elections are off.
	 * @param reason the property that turned them off, such as {@code coordination.enabled=false}
	 */
	public DisabledLeaderElections(String reason) {
		this.reason = reason;
	}

	@Override
	public LeaderElection election(String name) {
		return this.elections.computeIfAbsent(name, (key) -> new DisabledLeaderElection(key, this.reason));
	}

	@Override
	public Collection<LeaderElection> elections() {
		return List.copyOf(this.elections.values());
	}

	@Override
	public void addListener(LeadershipListener listener) {
	}

	@Override
	public void removeListener(LeadershipListener listener) {
	}

	/**
	 * What a {@link NotLeaderException} says runs on the leader only: with the reason when the
	 * election is turned off.
	 * @param election the election
	 * @param method the method
	 * @return the text
	 */
	static String described(LeaderElection election, String method) {
		return (election instanceof DisabledLeaderElection disabled)
				? method + " (" + disabled.reason() + ": this instance never leads)" : method;
	}

	private record DisabledLeaderElection(String name, String reason) implements LeaderElection {

		@Override
		public boolean isLeader() {
			return false;
		}

		@Override
		public Optional<LeaderTerm> currentTerm() {
			return Optional.empty();
		}

		@Override
		public OptionalLong fencingToken() {
			return OptionalLong.empty();
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			throw new NotLeaderException(this.name, "a fenced write (" + this.reason + ": this instance never leads)");
		}

		@Override
		public Optional<Candidate> leader() {
			return Optional.empty();
		}

		@Override
		public boolean awaitLeadership(Duration timeout) throws InterruptedException {
			return false;
		}

		@Override
		public void resign() {
		}

		@Override
		public void addListener(LeadershipListener listener) {
		}

		@Override
		public void removeListener(LeadershipListener listener) {
		}

	}

}
