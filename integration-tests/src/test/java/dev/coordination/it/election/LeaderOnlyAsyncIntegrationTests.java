package dev.coordination.it.election;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderContext;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeaderOnly.OnNotLeader;
import dev.coordination.election.LeadershipState;
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.ReactiveLeaderContext;
import dev.coordination.election.ReactiveLeaderElections;
import dev.coordination.election.RevocationReason;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * {@code @LeaderOnly} methods returning a {@code CompletableFuture}, a {@code Mono} or a
 * {@code Flux}, and {@link ReactiveLeaderElections}, with instances (application contexts, each
 * with its own client and session) in elections on a real etcd.
 */
class LeaderOnlyAsyncIntegrationTests {

	private static final Duration TTL = Duration.ofSeconds(2);

	private static final Duration BLOCK = Duration.ofSeconds(5);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, ElectionAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"coordination.etcd.session.safety-margin=500ms", "coordination.etcd.instance.host=127.0.0.1");

	private ApplicationContextRunner instance(String id, int port) {
		return this.contextRunner.withPropertyValues("coordination.etcd.instance.id=" + id,
				"coordination.etcd.instance.port=" + port)
			.withBean(AsyncJobs.class, AsyncJobs::new);
	}

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void completableFutureRunsOnTheLeaderAndAFollowerSkipsOrFailsThroughTheStage() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			Pair pair = pair(a, b);
			CompletableFuture<String> running = pair.leaderJobs().future();
			// the work takes a second, after the call returned
			assertThat(running).isNotDone();
			assertThat(running.get(5, TimeUnit.SECONDS))
				.isEqualTo("future " + pair.leader().fencingToken().getAsLong());
			assertThat(pair.leaderJobs().calls()).isEqualTo(1);

			CompletableFuture<String> skipped = pair.followerJobs().future();
			assertThat(skipped).isCompletedWithValue(null);
			CompletableFuture<String> failed = pair.followerJobs().strictFuture();
			assertThat(failed).isCompletedExceptionally();
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> failed.get(1, TimeUnit.SECONDS))
				.havingCause()
				.isInstanceOf(NotLeaderException.class)
				.withMessageContaining("election 'async'")
				.withMessageContaining(AsyncJobs.class.getName() + ".strictFuture()");
			assertThat(pair.followerJobs().calls()).isZero();
		}));
	}

	@Test
	void monoAndFluxRunOnTheLeaderAtEachSubscriptionWithTheTermInTheirContext() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			Pair pair = pair(a, b);
			long token = pair.leader().fencingToken().getAsLong();
			AsyncJobs jobs = pair.leaderJobs();
			Mono<String> mono = jobs.mono();
			assertThat(jobs.calls()).as("calls before subscribing").isZero();
			assertThat(mono.block(BLOCK)).isEqualTo("mono " + token);
			assertThat(jobs.tokenInBody()).isEqualTo(token);
			assertThat(mono.block(BLOCK)).isEqualTo("mono " + token);
			assertThat(jobs.calls()).as("calls after two subscriptions").isEqualTo(2);
			assertThat(jobs.flux().collectList().block(BLOCK)).containsExactly("0@" + token, "1@" + token,
					"2@" + token);
		}));
	}

	@Test
	void followerReactiveMethodsCompleteEmptyOrFailWithoutRunning() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			Pair pair = pair(a, b);
			AsyncJobs jobs = pair.followerJobs();
			assertThat(jobs.mono().blockOptional(BLOCK)).isEmpty();
			assertThat(jobs.flux().collectList().block(BLOCK)).isEmpty();
			Mono<String> strictMono = jobs.strictMono();
			Flux<String> strictFlux = jobs.strictFlux();
			assertThatExceptionOfType(NotLeaderException.class).isThrownBy(() -> strictMono.block(BLOCK))
				.withMessageContaining("election 'async'")
				.withMessageContaining(AsyncJobs.class.getName() + ".strictMono()");
			List<String> values = new CopyOnWriteArrayList<>();
			CompletableFuture<Throwable> failure = new CompletableFuture<>();
			strictFlux.subscribe(values::add, failure::complete);
			assertThat(failure.get(5, TimeUnit.SECONDS)).isInstanceOf(NotLeaderException.class)
				.hasMessageContaining(AsyncJobs.class.getName() + ".strictFlux()");
			assertThat(values).isEmpty();
			assertThat(jobs.calls()).isZero();
		}));
	}

	@Test
	void leadershipIsCheckedWhenSubscribedNotWhenCalled() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			Pair pair = pair(a, b);
			Mono<String> onFormerLeader = pair.leaderJobs().mono();
			Mono<String> onNextLeader = pair.followerJobs().mono();
			pair.leader().resign();
			await().atMost(Duration.ofSeconds(2)).until(pair.follower()::isLeader);
			assertThat(onFormerLeader.blockOptional(BLOCK)).isEmpty();
			assertThat(pair.leaderJobs().calls()).isZero();
			assertThat(onNextLeader.block(BLOCK)).isEqualTo("mono " + pair.follower().fencingToken().getAsLong());
		}));
	}

	@Test
	void revocationWhileAMonoRunsCancelsItsWorkAndFailsIt() {
		instance("a", 8081).run((context) -> {
			LeaderElection election = election(context, "async");
			await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
			AsyncJobs jobs = context.getBean(AsyncJobs.class);
			CompletableFuture<Throwable> failure = new CompletableFuture<>();
			jobs.longMono().subscribe((value) -> failure.complete(new AssertionError("emitted " + value)),
					failure::complete, () -> failure.complete(new AssertionError("completed")));
			await().atMost(Duration.ofSeconds(2)).until(jobs::subscribed);
			election.resign();
			assertThat(failure.get(5, TimeUnit.SECONDS)).isInstanceOf(NotLeaderException.class)
				.hasMessageContaining("election 'async' was revoked (RESIGNED) while " + AsyncJobs.class.getName()
						+ ".longMono() ran");
			assertThat(jobs.cancelled()).isTrue();
		});
	}

	@Test
	void revocationWhileAFluxRunsCancelsItsWorkAfterWhatItEmitted() {
		instance("a", 8081).run((context) -> {
			LeaderElection election = election(context, "async");
			await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
			AsyncJobs jobs = context.getBean(AsyncJobs.class);
			List<Long> values = new CopyOnWriteArrayList<>();
			CompletableFuture<Throwable> failure = new CompletableFuture<>();
			Disposable subscription = jobs.longFlux()
				.subscribe(values::add, failure::complete, () -> failure.complete(new AssertionError("completed")));
			await().atMost(Duration.ofSeconds(5)).until(() -> values.size() >= 2);
			election.resign();
			Throwable error = failure.get(5, TimeUnit.SECONDS);
			assertThat(error).isInstanceOf(NotLeaderException.class);
			assertThat(((NotLeaderException) error).getRevocationReason()).contains(RevocationReason.RESIGNED);
			assertThat(jobs.cancelled()).isTrue();
			assertThat(subscription.isDisposed()).isTrue();
			int emitted = values.size();
			await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(1)).until(() -> values.size() == emitted);
		});
	}

	@Test
	void revocationWhileAStageRunsFailsItAndCancelsTheMethodsOwnFuture() {
		instance("a", 8081).run((context) -> {
			LeaderElection election = election(context, "async");
			await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
			AsyncJobs jobs = context.getBean(AsyncJobs.class);
			CompletableFuture<String> result = jobs.longFuture().toCompletableFuture();
			CompletableFuture<String> own = jobs.pending();
			assertThat(own).isNotNull();
			assertThat(result).isNotDone();
			election.resign();
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> result.get(5, TimeUnit.SECONDS))
				.havingCause()
				.isInstanceOf(NotLeaderException.class)
				.withMessageContaining("was revoked (RESIGNED) while " + AsyncJobs.class.getName() + ".longFuture() ran");
			assertThat(own).isCancelled();
		});
	}

	@Test
	void stageThatCompletesWhileLeadingIsNotFailedByALaterRevocation() {
		instance("a", 8081).run((context) -> {
			LeaderElection election = election(context, "async");
			await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
			AsyncJobs jobs = context.getBean(AsyncJobs.class);
			CompletableFuture<String> result = jobs.longFuture().toCompletableFuture();
			jobs.pending().complete("done");
			assertThat(result.get(5, TimeUnit.SECONDS)).isEqualTo("done");
			election.resign();
			assertThat(result.get()).isEqualTo("done");
		});
	}

	@Test
	void reactiveElectionsEmitGrantedRevokedAndLeaderChangesAndAnswerWhoLeads() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			List<LeadershipState> onA = new CopyOnWriteArrayList<>();
			List<LeadershipState> onB = new CopyOnWriteArrayList<>();
			Disposable observingA = a.getBean(ReactiveLeaderElections.class).observe("observed").subscribe(onA::add);
			Disposable observingB = b.getBean(ReactiveLeaderElections.class).observe("observed").subscribe(onB::add);
			try {
				assertThat(onA).isNotEmpty();
				assertThat(onB).isNotEmpty();
				List<LeaderElection> elections = List.of(election(a, "observed"), election(b, "observed"));
				LeaderElection leader = awaitSingleLeader(elections);
				int index = elections.indexOf(leader);
				String leaderId = (index == 0) ? "a" : "b";
				String followerId = (index == 0) ? "b" : "a";
				List<LeadershipState> onLeader = (index == 0) ? onA : onB;
				List<LeadershipState> onFollower = (index == 0) ? onB : onA;
				long firstToken = leader.fencingToken().getAsLong();
				await().atMost(Duration.ofSeconds(5)).until(() -> last(onLeader).isLeader()
						&& leaderIs(last(onLeader), leaderId) && leaderIs(last(onFollower), leaderId));
				assertThat(last(onLeader).term().token()).isEqualTo(firstToken);
				assertThat(onFollower).noneMatch(LeadershipState::isLeader);
				for (AssertableApplicationContext context : List.of(a, b)) {
					assertThat(context.getBean(ReactiveLeaderElections.class).leader("observed").block(BLOCK))
						.extracting(Candidate::instanceId, Candidate::token)
						.containsExactly(leaderId, firstToken);
				}

				leader.resign();
				LeaderElection follower = elections.get(1 - index);
				await().atMost(Duration.ofSeconds(5)).until(() -> last(onFollower).isLeader()
						&& leaderIs(last(onFollower), followerId) && leaderIs(last(onLeader), followerId)
						&& !last(onLeader).isLeader());
				long secondToken = follower.fencingToken().getAsLong();
				assertThat(last(onFollower).term().token()).isEqualTo(secondToken).isGreaterThan(firstToken);
				// the former leader's states: granted (first term), then revoked, never two equal in a row
				assertThat(onLeader).anyMatch((state) -> state.isLeader() && state.term().token() == firstToken);
				assertThat(onLeader).noneMatch((state) -> state.isLeader() && state.term().token() == secondToken);
				for (int i = 1; i < onLeader.size(); i++) {
					assertThat(onLeader.get(i)).isNotEqualTo(onLeader.get(i - 1));
				}
				for (AssertableApplicationContext context : List.of(a, b)) {
					await().atMost(Duration.ofSeconds(2))
						.until(() -> context.getBean(ReactiveLeaderElections.class)
							.leader("observed")
							.map(Candidate::instanceId)
							.block(BLOCK), followerId::equals);
				}
			}
			finally {
				observingA.dispose();
				observingB.dispose();
			}
		}));
	}

	@Test
	void reactiveLeaderLookupIsEmptyWhileNobodyLeads() {
		this.contextRunner.withPropertyValues("coordination.etcd.instance.id=observer",
				"coordination.etcd.election.elections.lookup.candidate=false")
			.run((observer) -> {
				ReactiveLeaderElections elections = observer.getBean(ReactiveLeaderElections.class);
				assertThat(elections.leader("lookup").blockOptional(BLOCK)).isEmpty();
				instance("a", 8081).run((candidate) -> {
					candidate.getBean(LeaderElections.class).election("lookup");
					await().atMost(Duration.ofSeconds(10))
						.until(() -> elections.leader("lookup").map(Candidate::instanceId).blockOptional(BLOCK),
								Optional.of("a")::equals);
				});
				// the candidate stopped and left the election
				await().atMost(Duration.ofSeconds(5))
					.until(() -> elections.leader("lookup").blockOptional(BLOCK), Optional::isEmpty);
			});
	}

	@Test
	void unsupportedReturnTypeFailsStartUpNamingTheMethod() {
		this.contextRunner.withBean(FutureJob.class, FutureJob::new)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("@LeaderOnly method " + FutureJob.class.getName() + ".submit() returns "
						+ Future.class.getName())
				.hasStackTraceContaining("CompletionStage or CompletableFuture"));
	}

	private static boolean leaderIs(LeadershipState state, String instanceId) {
		return state.leader() != null && state.leader().instanceId().equals(instanceId);
	}

	private static LeadershipState last(List<LeadershipState> states) {
		return states.get(states.size() - 1);
	}

	private static Pair pair(AssertableApplicationContext a, AssertableApplicationContext b) {
		List<LeaderElection> elections = List.of(election(a, "async"), election(b, "async"));
		LeaderElection leader = awaitSingleLeader(elections);
		int index = elections.indexOf(leader);
		List<AssertableApplicationContext> contexts = List.of(a, b);
		return new Pair(leader, elections.get(1 - index), contexts.get(index).getBean(AsyncJobs.class),
				contexts.get(1 - index).getBean(AsyncJobs.class));
	}

	private static LeaderElection election(AssertableApplicationContext context, String name) {
		return context.getBean(LeaderElections.class).election(name);
	}

	private static LeaderElection awaitSingleLeader(List<LeaderElection> elections) {
		await().atMost(Duration.ofSeconds(15))
			.until(() -> elections.stream().filter(LeaderElection::isLeader).count() == 1);
		return elections.stream().filter(LeaderElection::isLeader).findFirst().orElseThrow();
	}

	private record Pair(LeaderElection leader, LeaderElection follower, AsyncJobs leaderJobs, AsyncJobs followerJobs) {
	}

	static class AsyncJobs {

		final AtomicInteger calls = new AtomicInteger();

		final AtomicLong tokenInBody = new AtomicLong();

		final AtomicBoolean subscribed = new AtomicBoolean();

		final AtomicBoolean cancelled = new AtomicBoolean();

		final AtomicReference<CompletableFuture<String>> pending = new AtomicReference<>();

		public int calls() {
			return this.calls.get();
		}

		public long tokenInBody() {
			return this.tokenInBody.get();
		}

		// read through the proxy: its own fields are never set

		public boolean subscribed() {
			return this.subscribed.get();
		}

		public boolean cancelled() {
			return this.cancelled.get();
		}

		public CompletableFuture<String> pending() {
			return this.pending.get();
		}

		@LeaderOnly("async")
		public CompletableFuture<String> future() {
			this.calls.incrementAndGet();
			long token = LeaderContext.currentTerm().orElseThrow().token();
			return CompletableFuture.supplyAsync(() -> "future " + token,
					CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS));
		}

		@LeaderOnly(value = "async", onNotLeader = OnNotLeader.THROW)
		public CompletableFuture<String> strictFuture() {
			this.calls.incrementAndGet();
			return CompletableFuture.completedFuture("strict");
		}

		@LeaderOnly("async")
		public Mono<String> mono() {
			this.calls.incrementAndGet();
			this.tokenInBody.set(LeaderContext.currentTerm().orElseThrow().token());
			return Mono.delay(Duration.ofSeconds(1))
				.then(ReactiveLeaderContext.currentTerm())
				.map((term) -> "mono " + term.token());
		}

		@LeaderOnly("async")
		public Flux<String> flux() {
			this.calls.incrementAndGet();
			return Flux.interval(Duration.ofMillis(300))
				.take(3)
				.concatMap((tick) -> ReactiveLeaderContext.currentTerm().map((term) -> tick + "@" + term.token()));
		}

		@LeaderOnly(value = "async", onNotLeader = OnNotLeader.THROW)
		public Mono<String> strictMono() {
			this.calls.incrementAndGet();
			return Mono.just("strict");
		}

		@LeaderOnly(value = "async", onNotLeader = OnNotLeader.THROW)
		public Flux<String> strictFlux() {
			this.calls.incrementAndGet();
			return Flux.just("strict");
		}

		@LeaderOnly(value = "async", interruptOnRevoke = true)
		public Mono<String> longMono() {
			return Mono.delay(Duration.ofSeconds(30))
				.map((tick) -> "not cancelled")
				.doOnSubscribe((subscription) -> this.subscribed.set(true))
				.doOnCancel(() -> this.cancelled.set(true));
		}

		@LeaderOnly(value = "async", interruptOnRevoke = true)
		public Flux<Long> longFlux() {
			return Flux.interval(Duration.ofMillis(100)).doOnCancel(() -> this.cancelled.set(true));
		}

		@LeaderOnly(value = "async", interruptOnRevoke = true)
		public CompletionStage<String> longFuture() {
			CompletableFuture<String> own = new CompletableFuture<>();
			this.pending.set(own);
			return own;
		}

	}

	static class FutureJob {

		@LeaderOnly("async")
		public Future<String> submit() {
			return CompletableFuture.completedFuture("submitted");
		}

	}

}
