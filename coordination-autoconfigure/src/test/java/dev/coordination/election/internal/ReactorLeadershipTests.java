package dev.coordination.election.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderChangedEvent;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.election.LeadershipState;
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.RevocationReason;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The pure logic of asynchronous leadership, without an election on etcd: work stopped by a
 * revocation, and an election's states built from its events.
 */
class ReactorLeadershipTests {

	private static final String METHOD = "com.example.Reports.rebuild()";

	@Test
	void revocationCancelsReactiveWorkAndFailsItNamingTheReason() {
		CompletableFuture<RevocationReason> revocation = new CompletableFuture<>();
		AtomicBoolean cancelled = new AtomicBoolean();
		List<Object> values = new CopyOnWriteArrayList<>();
		CompletableFuture<Throwable> failure = new CompletableFuture<>();
		Flux<Object> work = Flux.<Object>never().startWith("first").doOnCancel(() -> cancelled.set(true));
		ReactorLeadership.untilRevoked(work, () -> Mono.fromFuture(() -> revocation, false), "reports", METHOD)
			.subscribe(values::add, failure::complete, () -> failure.complete(new AssertionError("completed")));
		assertThat(values).containsExactly("first");
		assertThat(cancelled).isFalse();

		revocation.complete(RevocationReason.RESIGNED);

		assertThat(cancelled).isTrue();
		assertThat(failure).isCompletedWithValueMatching((ex) -> ex instanceof NotLeaderException notLeader
				&& notLeader.getRevocationReason().equals(Optional.of(RevocationReason.RESIGNED))
				&& notLeader.getMessage().contains("election 'reports' was revoked (RESIGNED) while " + METHOD + " ran"));
	}

	@Test
	void reactiveWorkThatEndsFirstForgetsTheRevocation() {
		CompletableFuture<RevocationReason> revocation = new CompletableFuture<>();
		List<Object> values = ReactorLeadership
			.untilRevoked(Flux.just("a", "b"), () -> Mono.fromFuture(() -> revocation, false), "reports", METHOD)
			.collectList()
			.block(Duration.ofSeconds(5));
		assertThat(values).containsExactly("a", "b");
		assertThat(revocation).isCancelled();
	}

	@Test
	void reactiveWorkKeepsItsOwnFailure() {
		CompletableFuture<RevocationReason> revocation = new CompletableFuture<>();
		Flux<Object> failing = Flux.error(new IllegalStateException("own"));
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> ReactorLeadership
				.untilRevoked(failing, () -> Mono.fromFuture(() -> revocation, false), "reports", METHOD)
				.blockLast(Duration.ofSeconds(5)))
			.withMessage("own");
		assertThat(revocation).isCancelled();
	}

	@Test
	void revocationFailsTheStageAndCancelsTheMethodsOwnFuture() {
		CompletableFuture<RevocationReason> revocation = new CompletableFuture<>();
		CompletableFuture<String> work = new CompletableFuture<>();
		CompletableFuture<@Nullable Object> result = LeaderOnlyInterceptor.untilRevoked(work, revocation, "reports",
				METHOD);
		assertThat(result).isNotDone();

		revocation.complete(RevocationReason.SESSION_LOST);

		assertThat(work).isCancelled();
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> result.get(1, TimeUnit.SECONDS))
			.havingCause()
			.isInstanceOf(NotLeaderException.class)
			.withMessageContaining("revoked (SESSION_LOST) while " + METHOD + " ran");
	}

	@Test
	void stageThatCompletesFirstGivesItsOutcomeAndForgetsTheRevocation() throws Exception {
		CompletableFuture<RevocationReason> revocation = new CompletableFuture<>();
		CompletableFuture<String> work = new CompletableFuture<>();
		CompletableFuture<@Nullable Object> result = LeaderOnlyInterceptor.untilRevoked(work, revocation, "reports",
				METHOD);
		work.complete("done");
		assertThat(result.get(1, TimeUnit.SECONDS)).isEqualTo("done");
		assertThat(revocation).isCancelled();
		revocation.obtrudeValue(RevocationReason.RESIGNED);
		assertThat(result.get()).isEqualTo("done");
	}

	@Test
	void cancellingTheStageCancelsTheWork() {
		CompletableFuture<RevocationReason> revocation = new CompletableFuture<>();
		CompletableFuture<String> work = new CompletableFuture<>();
		LeaderOnlyInterceptor.untilRevoked(work, revocation, "reports", METHOD).cancel(false);
		assertThat(work).isCancelled();
		assertThat(revocation).isCancelled();
		assertThatExceptionOfType(CancellationException.class).isThrownBy(work::join);
	}

	@Test
	void observeEmitsTheCurrentStateThenEachRealChange() {
		ManualElection election = new ManualElection();
		Candidate other = new Candidate("other", "127.0.0.1", 8082, Map.of(), 3);
		election.leader = other;
		List<LeadershipState> states = new CopyOnWriteArrayList<>();
		Disposable subscription = ReactorLeadership.observe(election).subscribe(states::add);
		assertThat(states).containsExactly(new LeadershipState("jobs", null, other));
		assertThat(election.listeners).hasSize(1);
		LeadershipListener listener = election.listeners.get(0);

		LeaderTerm term = new LeaderTerm("jobs", 9, 42, "/elections/jobs/2a", Instant.EPOCH);
		Candidate self = new Candidate("self", "127.0.0.1", 8081, Map.of(), 9);
		listener.leaderChanged(new LeaderChangedEvent(election, self));
		listener.granted(new LeadershipGrantedEvent(election, term));
		// the same leader again, and the revocation of a term it does not hold: no new state
		listener.leaderChanged(new LeaderChangedEvent(election, self));
		listener.revoked(new LeadershipRevokedEvent(election,
				new LeaderTerm("jobs", 5, 42, "/elections/jobs/2a", Instant.EPOCH), RevocationReason.RESIGNED));
		listener.revoked(new LeadershipRevokedEvent(election, term, RevocationReason.RESIGNED));
		listener.leaderChanged(new LeaderChangedEvent(election, null));

		assertThat(states).containsExactly(new LeadershipState("jobs", null, other),
				new LeadershipState("jobs", null, self), new LeadershipState("jobs", term, self),
				new LeadershipState("jobs", null, self), new LeadershipState("jobs", null, null));
		assertThat(states.get(2).isLeader()).isTrue();
		subscription.dispose();
		assertThat(election.listeners).isEmpty();
	}

	@Test
	void observeStartsFromALeadingState() {
		ManualElection election = new ManualElection();
		election.term = new LeaderTerm("jobs", 4, 42, "/elections/jobs/2a", Instant.EPOCH);
		LeadershipState first = ReactorLeadership.observe(election).blockFirst(Duration.ofSeconds(5));
		assertThat(first).isEqualTo(new LeadershipState("jobs", election.term, null));
		assertThat(election.listeners).isEmpty();
	}

	/**
	 * An election whose state a test sets, and whose listeners it calls.
	 */
	static final class ManualElection implements LeaderElection {

		final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();

		volatile @Nullable LeaderTerm term;

		volatile @Nullable Candidate leader;

		@Override
		public String name() {
			return "jobs";
		}

		@Override
		public boolean isLeader() {
			return this.term != null;
		}

		@Override
		public Optional<LeaderTerm> currentTerm() {
			return Optional.ofNullable(this.term);
		}

		@Override
		public OptionalLong fencingToken() {
			LeaderTerm current = this.term;
			return (current != null) ? OptionalLong.of(current.token()) : OptionalLong.empty();
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			throw new UnsupportedOperationException();
		}

		@Override
		public Optional<Candidate> leader() {
			return Optional.ofNullable(this.leader);
		}

		@Override
		public boolean awaitLeadership(Duration timeout) {
			return isLeader();
		}

		@Override
		public void resign() {
			this.term = null;
		}

		@Override
		public void addListener(LeadershipListener listener) {
			this.listeners.add(listener);
		}

		@Override
		public void removeListener(LeadershipListener listener) {
			this.listeners.remove(listener);
		}

	}

}
