package dev.coordination.it.election;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionHealthContributorAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderChangedEvent;
import dev.coordination.election.LeaderContext;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderLifecycle;
import dev.coordination.election.LeaderOnly.OnNotLeader;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.RevocationReason;
import dev.coordination.election.internal.ElectionsHealthContributor;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationMeterNames;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Several instances (application contexts, each with its own client and session) in one election
 * against a real etcd. Failures of whole processes are in {@code process.LeaderElectionProcessIT}.
 */
class LeaderElectionIntegrationTests {

	private static final Duration TTL = Duration.ofSeconds(2);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, ElectionAutoConfiguration.class,
				ElectionHealthContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"coordination.etcd.session.safety-margin=500ms", "coordination.etcd.instance.host=127.0.0.1");

	private ApplicationContextRunner instance(String id, int port) {
		return this.contextRunner.withPropertyValues("coordination.etcd.instance.id=" + id,
				"coordination.etcd.instance.port=" + port);
	}

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void threeCandidatesExactlyOneLeadsAndEveryoneNamesIt() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> instance("c", 8083).run((c) -> {
			List<LeaderElection> elections = List.of(election(a, "trio"), election(b, "trio"), election(c, "trio"));
			LeaderElection leader = awaitSingleLeader(elections);
			int index = elections.indexOf(leader);
			String leaderId = List.of("a", "b", "c").get(index);
			long token = leader.fencingToken().getAsLong();
			await().atMost(Duration.ofSeconds(5)).until(() -> elections.stream()
				.allMatch((election) -> election.leader().map(Candidate::instanceId).equals(Optional.of(leaderId))));
			for (LeaderElection election : elections) {
				Candidate seen = election.leader().orElseThrow();
				assertThat(seen.token()).isEqualTo(token);
				assertThat(seen.address()).isEqualTo("127.0.0.1:" + (8081 + index));
			}
			assertThat(elections.stream().filter(LeaderElection::isLeader)).hasSize(1);
		})));
	}

	@Test
	void deletingEveryKeyAtOnceLeavesExactlyOneLeaderHoldingARealKey() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> instance("c", 8083).run((c) -> {
			List<LeaderElection> elections = List.of(election(a, "wiped"), election(b, "wiped"), election(c, "wiped"));
			awaitSingleLeader(elections);
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("/elections/wiped/").size() == 3);
			// one delete: three events at one revision
			etcd.client()
				.getKVClient()
				.delete(EtcdKeys.bytes("/elections/wiped/"),
						io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build())
				.get(5, TimeUnit.SECONDS);
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("/elections/wiped/").size() == 3);
			LeaderElection leader = awaitSingleLeader(elections);
			List<io.etcd.jetcd.KeyValue> keys = keys("/elections/wiped/");
			long lowest = keys.stream().mapToLong(io.etcd.jetcd.KeyValue::getCreateRevision).min().orElseThrow();
			assertThat(leader.fencingToken().getAsLong()).isEqualTo(lowest);
			await().atMost(Duration.ofSeconds(2)).until(() -> elections.stream()
				.allMatch((election) -> election.leader().map(Candidate::token).equals(Optional.of(lowest))));
			await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
				.until(() -> elections.stream().filter(LeaderElection::isLeader).count() == 1);
		})));
	}

	private static List<io.etcd.jetcd.KeyValue> keys(String prefix) throws Exception {
		return etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(prefix), io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS)
			.getKvs();
	}

	@Test
	void resignHandsLeadershipToTheNextCandidateAtOnce() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			List<LeaderElection> elections = List.of(election(a, "handover"), election(b, "handover"));
			LeaderElection leader = awaitSingleLeader(elections);
			LeaderElection follower = elections.get(1 - elections.indexOf(leader));
			long oldToken = leader.fencingToken().getAsLong();
			leader.resign();
			// the resigning instance's session stays valid: the successor took over because the key was
			// deleted, not because a lease expired (how fast: FailoverMeasurement in benchmarks)
			await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(1)).until(follower::isLeader);
			assertThat(leader.isLeader()).isFalse();
			assertThat(follower.fencingToken().getAsLong()).isGreaterThan(oldToken);
			// the former leader queued again behind the new one
			await().atMost(Duration.ofSeconds(2))
				.until(() -> leader.leader().map(Candidate::token).equals(Optional.of(follower.fencingToken().getAsLong())));
		}));
	}

	@Test
	void everyInstanceIsToldWhenTheLeaderChanges() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			List<LeaderElection> elections = List.of(election(a, "observed"), election(b, "observed"));
			LeaderElection leader = awaitSingleLeader(elections);
			LeaderElection follower = elections.get(1 - elections.indexOf(leader));
			long oldToken = leader.fencingToken().getAsLong();
			// the follower's own view of the first term may lag the leader's: listen once it has seen it,
			// so what the listener hears is only what happens after the resign
			await().atMost(Duration.ofSeconds(2))
				.until(() -> follower.leader().map(Candidate::token).equals(Optional.of(oldToken)));
			List<String> seen = new CopyOnWriteArrayList<>();
			follower.addListener(new LeadershipListener() {

				@Override
				public void leaderChanged(LeaderChangedEvent event) {
					seen.add(event.getLeader().map((now) -> now.instanceId() + "@" + now.token()).orElse("none"));
				}

			});
			String oldId = leader.leader().orElseThrow().instanceId();
			leader.resign();
			await().atMost(Duration.ofSeconds(2)).until(follower::isLeader);
			String newLeader = follower.leader().orElseThrow().instanceId() + "@" + follower.fencingToken().getAsLong();
			// the follower heard of the new leader (itself), once; the old term is never reported again
			await().atMost(Duration.ofSeconds(2)).until(() -> seen.contains(newLeader));
			assertThat(seen).doesNotContain(oldId + "@" + oldToken).containsOnlyOnce(newLeader);
		}));
	}

	@Test
	void resignFromAnInterruptedThreadStillHandsOver() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			List<LeaderElection> elections = List.of(election(a, "interrupted-resign"), election(b, "interrupted-resign"));
			LeaderElection leader = awaitSingleLeader(elections);
			LeaderElection follower = elections.get(1 - elections.indexOf(leader));
			CompletableFuture.runAsync(() -> {
				Thread.currentThread().interrupt();
				leader.resign();
			}).get(5, TimeUnit.SECONDS);
			await().atMost(Duration.ofMillis(500)).until(follower::isLeader);
		}));
	}

	@Test
	void closingTheLeaderHandsLeadershipOverWithoutWaitingForItsLease() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			List<AssertableApplicationContext> contexts = List.of(a, b);
			List<LeaderElection> elections = List.of(election(a, "closing"), election(b, "closing"));
			LeaderElection leader = awaitSingleLeader(elections);
			int index = elections.indexOf(leader);
			LeaderElection follower = elections.get(1 - index);
			CoordinationSession closing = contexts.get(index).getBean(CoordinationSession.class);
			long lease = closing.leaseId();
			contexts.get(index).close();
			await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(1)).until(follower::isLeader);
			// the close itself resigned and revoked the lease: the successor did not wait for it to expire
			assertThat(etcd.client().getLeaseClient().timeToLive(lease, io.etcd.jetcd.options.LeaseOption.DEFAULT)
				.get(5, TimeUnit.SECONDS)
				.getTTL()).isEqualTo(-1);
		}));
	}

	@Test
	void closingTheLeaderHandsOverBeforeAnyOfItsComponentsStops() {
		instance("a", 8081).withUserConfiguration(SlowStopConfiguration.class)
			.run((a) -> instance("b", 8082).withUserConfiguration(SlowStopConfiguration.class).run((b) -> {
				List<AssertableApplicationContext> contexts = List.of(a, b);
				List<LeaderElection> elections = List.of(election(a, "handover"), election(b, "handover"));
				LeaderElection leader = awaitSingleLeader(elections);
				int index = elections.indexOf(leader);
				LeaderElection follower = elections.get(1 - index);
				SlowStop slowStop = contexts.get(index).getBean(SlowStop.class);
				slowStop.waitFor = follower::isLeader;
				contexts.get(index).close();
				// the first component to stop waited for the successor: the handover did not wait for it
				assertThat(slowStop.conditionMetWhileStopping).isTrue();
			}));
	}

	@Test
	void pausedEtcdMakesTheLeaderStepDownBeforeItsLeaseCouldExpireThenOneLeaderAgain() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			List<AssertableApplicationContext> contexts = List.of(a, b);
			List<LeaderElection> elections = List.of(election(a, "pause"), election(b, "pause"));
			LeaderElection leader = awaitSingleLeader(elections);
			CoordinationSession session = contexts.get(elections.indexOf(leader)).getBean(CoordinationSession.class);
			List<RevocationReason> revocations = new CopyOnWriteArrayList<>();
			AtomicLong revokedAt = new AtomicLong();
			leader.addListener(new dev.coordination.election.LeadershipListener() {
				@Override
				public void revoked(LeadershipRevokedEvent event) {
					revokedAt.compareAndSet(0, System.nanoTime());
					revocations.add(event.getReason());
				}
			});
			AtomicLong acknowledgedSent = new AtomicLong();
			etcd.cluster().member(0).pause();
			await().atMost(TTL.plusSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> {
				if (session.info().valid()) {
					acknowledgedSent.set(session.info().acknowledgedSentNanos());
				}
				return !leader.isLeader();
			});
			long stoppedLeadingAt = System.nanoTime();
			assertThat(etcd.cluster().member(0).isPaused()).isTrue();
			// etcd could expire the lease at acknowledgedSent + TTL at the earliest
			assertThat(stoppedLeadingAt - acknowledgedSent.get()).isLessThan(TTL.toNanos());
			await().atMost(Duration.ofSeconds(1)).until(() -> !revocations.isEmpty());
			assertThat(revocations).containsExactly(RevocationReason.SESSION_LOST);
			assertThat(revokedAt.get() - acknowledgedSent.get()).isLessThan(TTL.toNanos());
			assertThat(elections).noneMatch(LeaderElection::isLeader);

			etcd.cluster().member(0).resume();
			awaitSingleLeader(elections);
			await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
				.until(() -> elections.stream().filter(LeaderElection::isLeader).count() == 1);
		}));
	}

	@Test
	void withWaitForReadinessOnlyReadyInstancesCampaignAndAnInstanceRefusingTrafficResigns() {
		ApplicationContextRunner runner = this.contextRunner
			.withConfiguration(AutoConfigurations.of(
					org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.election.wait-for-readiness=true");
		runner.withPropertyValues("coordination.etcd.instance.id=a", "coordination.etcd.instance.port=8081").run((a) -> runner
			.withPropertyValues("coordination.etcd.instance.id=b", "coordination.etcd.instance.port=8082")
			.run((b) -> {
				List<LeaderElection> elections = List.of(election(a, "ready"), election(b, "ready"));
				// not ready yet: nobody campaigns, nobody leads
				await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
					.until(() -> elections.stream().noneMatch((election) -> election.isLeader() || election.leader().isPresent()));
				AvailabilityChangeEvent.publish(a, ReadinessState.ACCEPTING_TRAFFIC);
				AvailabilityChangeEvent.publish(b, ReadinessState.ACCEPTING_TRAFFIC);
				LeaderElection leader = awaitSingleLeader(elections);
				LeaderElection follower = elections.get(1 - elections.indexOf(leader));
				AssertableApplicationContext leaderContext = (leader == elections.get(0)) ? a : b;
				AvailabilityChangeEvent.publish(leaderContext, ReadinessState.REFUSING_TRAFFIC);
				// it resigned and deleted its key: the follower takes over without waiting for a lease
				await().atMost(Duration.ofSeconds(2)).until(follower::isLeader);
				assertThat(leader.isLeader()).isFalse();
				// and stays out while it refuses traffic
				await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> !leader.isLeader()
						&& keyCount("/elections/ready/") == 1);
				AvailabilityChangeEvent.publish(leaderContext, ReadinessState.ACCEPTING_TRAFFIC);
				// it campaigns again, behind the new leader
				await().atMost(Duration.ofSeconds(3)).until(() -> keyCount("/elections/ready/") == 2);
				assertThat(follower.isLeader()).isTrue();
				assertThat(leader.isLeader()).isFalse();
			}));
	}

	@Test
	void withWaitForReadinessALeaderRefusingTrafficWhileEtcdIsPausedHandsOverOnceEtcdAnswersWithoutItsLeaseExpiring() {
		ApplicationContextRunner runner = this.contextRunner
			.withConfiguration(AutoConfigurations.of(
					org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.election.wait-for-readiness=true", "coordination.etcd.session.ttl=3s",
					"coordination.etcd.request-timeout=500ms");
		runner.withPropertyValues("coordination.etcd.instance.id=a", "coordination.etcd.instance.port=8081").run((a) -> runner
			.withPropertyValues("coordination.etcd.instance.id=b", "coordination.etcd.instance.port=8082")
			.run((b) -> {
				List<LeaderElection> elections = List.of(election(a, "retry"), election(b, "retry"));
				AvailabilityChangeEvent.publish(a, ReadinessState.ACCEPTING_TRAFFIC);
				AvailabilityChangeEvent.publish(b, ReadinessState.ACCEPTING_TRAFFIC);
				LeaderElection leader = awaitSingleLeader(elections);
				LeaderElection follower = elections.get(1 - elections.indexOf(leader));
				AssertableApplicationContext leaderContext = (leader == elections.get(0)) ? a : b;
				CoordinationSession leaderSession = leaderContext.getBean(CoordinationSession.class);
				long lease = leaderSession.leaseId();
				etcd.cluster().member(0).pause();
				try {
					// the resignation's delete gets no answer (request timeout 500 ms); leadership is revoked at once
					AvailabilityChangeEvent.publish(leaderContext, ReadinessState.REFUSING_TRAFFIC);
					assertThat(leader.isLeader()).isFalse();
				}
				finally {
					etcd.cluster().member(0).resume();
				}
				// the key goes once etcd answers (the late request, or the retry), not with the lease: the follower leads
				await().atMost(Duration.ofSeconds(3)).until(follower::isLeader);
				assertThat(leaderSession.isValid()).isTrue();
				assertThat(leaderSession.leaseId()).as("the same lease: its key did not go with it").isEqualTo(lease);
				assertThat(keyCount("/elections/retry/")).isEqualTo(1);
			}));
	}

	private static int keyCount(String prefix) throws Exception {
		return etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(prefix), io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS)
			.getKvs()
			.size();
	}

	@Test
	void anInstanceThatIsNoCandidateObservesButNeverLeads() {
		instance("a", 8081).run((a) -> instance("b", 8082)
			.withPropertyValues("coordination.etcd.election.elections.watch-only.candidate=false")
			.run((b) -> {
				LeaderElection candidate = election(a, "watch-only");
				LeaderElection observer = election(b, "watch-only");
				await().atMost(Duration.ofSeconds(10)).until(candidate::isLeader);
				await().atMost(Duration.ofSeconds(2))
					.until(() -> observer.leader().map(Candidate::instanceId).equals(Optional.of("a")));
				candidate.resign();
				// alone in the election, the candidate leads again; the observer never does
				await().atMost(Duration.ofSeconds(2)).until(candidate::isLeader);
				assertThat(observer.isLeader()).isFalse();
				assertThat(etcd.client()
					.getKVClient()
					.get(EtcdKeys.bytes("/elections/watch-only/"), io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
					.get(5, TimeUnit.SECONDS)
					.getKvs()).hasSize(1);
			}));
	}

	@Test
	void scheduledLeaderOnlyJobRunsOnlyOnTheLeader() {
		ApplicationContextRunner runner = this.contextRunner.withUserConfiguration(TickConfiguration.class);
		runner.run((a) -> runner.run((b) -> runner.run((c) -> {
			List<AssertableApplicationContext> contexts = List.of(a, b, c);
			List<LeaderElection> elections = contexts.stream().map((context) -> election(context, "ticks")).toList();
			LeaderElection leader = awaitSingleLeader(elections);
			List<TickJob> jobs = contexts.stream().map((context) -> context.getBean(TickJob.class)).toList();
			TickJob leaderJob = jobs.get(elections.indexOf(leader));
			jobs.forEach(TickJob::reset);
			await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> leader.isLeader()
					&& jobs.stream().filter((job) -> job != leaderJob).allMatch((job) -> job.runs() == 0));
			assertThat(leaderJob.runs()).isGreaterThanOrEqualTo(5);
		})));
	}

	@Test
	void leaderRunsFollowerSkipsOrThrowsAndTheMethodSeesItsToken() {
		ApplicationContextRunner runner = this.contextRunner.withUserConfiguration(ModesConfiguration.class);
		runner.run((a) -> runner.run((b) -> {
			List<AssertableApplicationContext> contexts = List.of(a, b);
			List<LeaderElection> elections = List.of(election(a, "modes"), election(b, "modes"));
			LeaderElection leader = awaitSingleLeader(elections);
			ModesJob onLeader = contexts.get(elections.indexOf(leader)).getBean(ModesJob.class);
			ModesJob onFollower = contexts.get(1 - elections.indexOf(leader)).getBean(ModesJob.class);

			assertThat(onLeader.text()).isEqualTo("ran");
			assertThat(onLeader.optional()).contains("ran");
			onLeader.work();
			assertThat(onLeader.strict()).isEqualTo("ran");
			assertThat(onLeader.token()).isEqualTo(leader.fencingToken().getAsLong());
			assertThat(onLeader.stillLeader()).isTrue();
			assertThat(onLeader.calls()).isEqualTo(3);

			assertThat(onFollower.text()).isNull();
			assertThat(onFollower.optional()).isEmpty();
			onFollower.work();
			assertThat(onFollower.calls()).isZero();
			assertThatExceptionOfType(NotLeaderException.class).isThrownBy(onFollower::strict)
				.withMessageContaining("election 'modes'");
			assertThat(LeaderContext.currentTerm()).isEmpty();
		}));
	}

	@Test
	void eventsAreIssuedAndLeaderLifecycleBeansFollowLeadership() {
		this.contextRunner.withUserConfiguration(EventsConfiguration.class).run((context) -> {
			LeaderElection election = election(context, "events");
			Recorder recorder = context.getBean(Recorder.class);
			BoundService service = context.getBean(BoundService.class);
			await().atMost(Duration.ofSeconds(10)).until(() -> !recorder.granted.isEmpty());
			LeadershipGrantedEvent granted = recorder.granted.get(0);
			assertThat(granted.getElection()).isEqualTo("events");
			assertThat(granted.getToken()).isEqualTo(election.fencingToken().getAsLong());
			await().atMost(Duration.ofSeconds(2)).until(service::isRunning);

			election.resign();
			await().atMost(Duration.ofSeconds(2)).until(() -> !recorder.revoked.isEmpty());
			assertThat(recorder.revoked.get(0).getReason()).isEqualTo(RevocationReason.RESIGNED);
			assertThat(recorder.revoked.get(0).getToken()).isEqualTo(granted.getToken());
			// alone in the election, it is granted again with a higher token, and the service restarts
			await().atMost(Duration.ofSeconds(5)).until(() -> recorder.granted.size() == 2);
			assertThat(recorder.granted.get(1).getToken()).isGreaterThan(granted.getToken());
			await().atMost(Duration.ofSeconds(2)).until(() -> service.starts.get() == 2 && service.stops.get() == 1);
			assertThat(service.isRunning()).isTrue();
		});
	}

	@Test
	void closingTheLeaderStopsItsLeaderLifecycleBeansOneStopAtATime() {
		this.contextRunner.withUserConfiguration(SlowBoundConfiguration.class).run((context) -> {
			SlowBoundService service = context.getBean(SlowBoundService.class);
			await().atMost(Duration.ofSeconds(10)).until(service::isRunning);
			context.close();
			// the context's own stop and the revocation's: never both at once
			await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> service.inFlight.get() == 0);
			assertThat(service.stops.get()).isPositive();
			assertThat(service.mostAtOnce.get()).as("stop() calls running at once").isEqualTo(1);
		});
	}

	@Test
	void runningWorkIsInterruptedWhenLeadershipIsRevoked() {
		this.contextRunner.withUserConfiguration(InterruptConfiguration.class).run((context) -> {
			LeaderElection election = election(context, "interrupt");
			await().atMost(Duration.ofSeconds(10)).until(election::isLeader);
			LongJob job = context.getBean(LongJob.class);
			CompletableFuture<String> outcome = CompletableFuture.supplyAsync(job::work);
			await().atMost(Duration.ofSeconds(2)).until(job::hasEntered);
			election.resign();
			assertThat(outcome.get(2, TimeUnit.SECONDS)).isEqualTo("interrupted");
		});
	}

	@Test
	void fencingTokensGrowAndAFormerLeadersFencedWriteIsRejected() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			List<AssertableApplicationContext> contexts = List.of(a, b);
			List<LeaderElection> elections = List.of(election(a, "fence"), election(b, "fence"));
			LeaderElection first = awaitSingleLeader(elections);
			EtcdTemplate firstEtcd = contexts.get(elections.indexOf(first)).getBean(EtcdTemplate.class);
			LeaderTerm firstTerm = first.currentTerm().orElseThrow();
			assertThat(fencedWrite(firstEtcd, firstTerm)).isTrue();

			first.resign();
			LeaderElection second = elections.get(1 - elections.indexOf(first));
			await().atMost(Duration.ofSeconds(2)).until(second::isLeader);
			LeaderTerm secondTerm = second.currentTerm().orElseThrow();
			assertThat(secondTerm.token()).isGreaterThan(firstTerm.token());
			assertThat(fencedWrite(firstEtcd, firstTerm)).isFalse();
			assertThat(fencedWrite(contexts.get(elections.indexOf(second)).getBean(EtcdTemplate.class), secondTerm))
				.isTrue();
			assertThat(firstEtcd.get("/fence/value").map((kv) -> EtcdKeys.string(kv.getValue())))
				.contains("written under " + secondTerm.token());
		}));
	}

	@Test
	void healthAndMetricsShowRoleLeaderAndTransitions() {
		ApplicationContextRunner withMetrics = this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new);
		withMetrics.withPropertyValues("coordination.etcd.instance.id=a", "coordination.etcd.instance.port=8081")
			.run((a) -> instance("b", 8082).run((b) -> {
				List<LeaderElection> elections = List.of(election(a, "observed"), election(b, "observed"));
				LeaderElection leader = awaitSingleLeader(elections);
				if (leader != elections.get(0)) {
					leader.resign();
					await().atMost(Duration.ofSeconds(2)).until(() -> elections.get(0).isLeader());
				}
				MeterRegistry registry = a.getBean(MeterRegistry.class);
				assertThat(registry.get(CoordinationMeterNames.ELECTION_LEADER).tag("election", "observed").gauge().value())
					.isEqualTo(1);
				assertThat(registry.get(CoordinationMeterNames.ELECTION_TRANSITIONS)
					.tags("election", "observed", "reason", "granted")
					.counter()
					.count()).isEqualTo(1);

				HealthIndicator onA = (HealthIndicator) a.getBean(ElectionsHealthContributor.class).getContributor("observed");
				assertThat(onA.health().getDetails()).containsEntry("role", "leader")
					.containsEntry("leader", "127.0.0.1:8081")
					.containsKey("token");
				HealthIndicator onB = (HealthIndicator) b.getBean(ElectionsHealthContributor.class).getContributor("observed");
				await().atMost(Duration.ofSeconds(2))
					.until(() -> "127.0.0.1:8081".equals(onB.health().getDetails().get("leader")));
				assertThat(onB.health().getDetails()).containsEntry("role", "follower");

				elections.get(0).resign();
				await().atMost(Duration.ofSeconds(2)).until(() -> registry.find(CoordinationMeterNames.ELECTION_TENURE)
					.tag("election", "observed")
					.timer()
					.count() == 1);
				assertThat(registry.get(CoordinationMeterNames.ELECTION_TRANSITIONS)
					.tags("election", "observed", "reason", "resigned")
					.counter()
					.count()).isEqualTo(1);
			}));
	}

	private static boolean fencedWrite(EtcdTemplate etcd, LeaderTerm term) {
		return etcd.txn("fenced write", (txn) -> txn
			.If(new Cmp(EtcdKeys.bytes(term.key()), Cmp.Op.EQUAL, CmpTarget.createRevision(term.token())))
			.Then(Op.put(EtcdKeys.bytes("/fence/value"), EtcdKeys.bytes("written under " + term.token()),
					PutOption.DEFAULT)))
			.isSucceeded();
	}

	private static LeaderElection election(AssertableApplicationContext context, String name) {
		return context.getBean(LeaderElections.class).election(name);
	}

	private static LeaderElection awaitSingleLeader(List<LeaderElection> elections) {
		await().atMost(Duration.ofSeconds(15))
			.until(() -> elections.stream().filter(LeaderElection::isLeader).count() == 1);
		return elections.stream().filter(LeaderElection::isLeader).findFirst().orElseThrow();
	}

	@Configuration(proxyBeanMethods = false)
	@EnableScheduling
	static class TickConfiguration {

		@Bean
		TickJob tickJob() {
			return new TickJob();
		}

	}

	static class TickJob {

		final AtomicInteger runs = new AtomicInteger();

		@Scheduled(fixedDelay = 50)
		@LeaderOnly("ticks")
		public void tick() {
			this.runs.incrementAndGet();
		}

		public int runs() {
			return this.runs.get();
		}

		public void reset() {
			this.runs.set(0);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ModesConfiguration {

		@Bean
		ModesJob modesJob() {
			return new ModesJob();
		}

	}

	static class ModesJob {

		final AtomicInteger calls = new AtomicInteger();

		@LeaderOnly("modes")
		public String text() {
			this.calls.incrementAndGet();
			return "ran";
		}

		@LeaderOnly("modes")
		public Optional<String> optional() {
			this.calls.incrementAndGet();
			return Optional.of("ran");
		}

		@LeaderOnly("modes")
		public void work() {
			this.calls.incrementAndGet();
		}

		@LeaderOnly(election = "modes", onNotLeader = OnNotLeader.THROW)
		public String strict() {
			return "ran";
		}

		@LeaderOnly(election = "modes", onNotLeader = OnNotLeader.THROW)
		public long token() {
			return LeaderContext.currentTerm().orElseThrow().token();
		}

		@LeaderOnly(election = "modes", onNotLeader = OnNotLeader.THROW)
		public boolean stillLeader() {
			return LeaderContext.isStillLeader();
		}

		public int calls() {
			return this.calls.get();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class EventsConfiguration {

		@Bean
		Recorder recorder() {
			return new Recorder();
		}

		@Bean
		BoundService boundService() {
			return new BoundService();
		}

	}

	static class Recorder {

		final List<LeadershipGrantedEvent> granted = new CopyOnWriteArrayList<>();

		final List<LeadershipRevokedEvent> revoked = new CopyOnWriteArrayList<>();

		@EventListener
		void on(LeadershipGrantedEvent event) {
			if (event.getElection().equals("events")) {
				this.granted.add(event);
			}
		}

		@EventListener
		void on(LeadershipRevokedEvent event) {
			if (event.getElection().equals("events")) {
				this.revoked.add(event);
			}
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SlowBoundConfiguration {

		@Bean
		SlowBoundService slowBoundService() {
			return new SlowBoundService();
		}

	}

	/**
	 * A {@code @LeaderLifecycle} bean whose stop takes a while, counting the stops running at once.
	 */
	@LeaderLifecycle("slow-bound")
	static class SlowBoundService extends BoundService {

		final AtomicInteger inFlight = new AtomicInteger();

		final AtomicInteger mostAtOnce = new AtomicInteger();

		@Override
		public void stop() {
			this.mostAtOnce.accumulateAndGet(this.inFlight.incrementAndGet(), Math::max);
			try {
				// simulated work: draining what the bean runs
				TimeUnit.MILLISECONDS.sleep(300);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			finally {
				super.stop();
				this.inFlight.decrementAndGet();
			}
		}

	}

	@LeaderLifecycle("events")
	static class BoundService implements SmartLifecycle {

		final AtomicInteger starts = new AtomicInteger();

		final AtomicInteger stops = new AtomicInteger();

		private volatile boolean running;

		@Override
		public boolean isAutoStartup() {
			return false;
		}

		@Override
		public void start() {
			this.starts.incrementAndGet();
			this.running = true;
		}

		@Override
		public void stop() {
			this.stops.incrementAndGet();
			this.running = false;
		}

		@Override
		public boolean isRunning() {
			return this.running;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SlowStopConfiguration {

		@Bean
		SlowStop slowStop() {
			return new SlowStop();
		}

	}

	/**
	 * A component stopping first (the default phase) and slowly: its stop waits, bounded, for a
	 * condition.
	 */
	static class SlowStop implements SmartLifecycle {

		volatile BooleanSupplier waitFor = () -> false;

		volatile boolean conditionMetWhileStopping;

		private volatile boolean running;

		@Override
		public void start() {
			this.running = true;
		}

		@Override
		public void stop() {
			try {
				await().atMost(Duration.ofSeconds(5)).until(this.waitFor::getAsBoolean);
				this.conditionMetWhileStopping = true;
			}
			catch (ConditionTimeoutException ex) {
				this.conditionMetWhileStopping = false;
			}
			this.running = false;
		}

		@Override
		public boolean isRunning() {
			return this.running;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class InterruptConfiguration {

		@Bean
		LongJob longJob() {
			return new LongJob();
		}

	}

	static class LongJob {

		final CountDownLatch entered = new CountDownLatch(1);

		public boolean hasEntered() {
			return this.entered.getCount() == 0;
		}

		@LeaderOnly(value = "interrupt", interruptOnRevoke = true)
		public String work() {
			this.entered.countDown();
			try {
				new CountDownLatch(1).await(30, TimeUnit.SECONDS);
				return "not interrupted";
			}
			catch (InterruptedException ex) {
				return "interrupted";
			}
		}

	}

}
