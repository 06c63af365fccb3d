package dev.coordination.it.shard;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.shard.ShardingAutoConfiguration;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.session.CoordinationSession;
import dev.coordination.shard.ShardListener;
import dev.coordination.shard.ShardsAssignedEvent;
import dev.coordination.shard.ShardsRevokedEvent;
import dev.coordination.shard.ShardsRevokedEvent.Reason;
import dev.coordination.shard.internal.EtcdShardedWorkload;
import dev.coordination.shard.internal.EtcdShardedWorkloads;
import dev.coordination.shard.internal.ShardAssignment;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import dev.coordination.test.proxy.TcpProxy;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.PutOption;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several instances of a sharded workload (application contexts, each with its own client and
 * session) against a real etcd: ownership, balance, moves, listeners, session loss and the settle
 * delay.
 */
class ShardedWorkloadIntegrationTests {

	private static final Log logger = LogFactory.getLog(ShardedWorkloadIntegrationTests.class);

	private static final Duration TTL = Duration.ofSeconds(2);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ShardingAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"coordination.etcd.session.safety-margin=500ms", "coordination.etcd.instance.host=127.0.0.1");

	private final List<Sampler> samplers = new ArrayList<>();

	private ApplicationContextRunner instance(String id, String workload, int count, Duration settleDelay) {
		return this.contextRunner.withPropertyValues("coordination.etcd.instance.id=" + id,
				"coordination.shards." + workload + ".count=" + count,
				"coordination.shards." + workload + ".settle-delay=" + settleDelay.toMillis() + "ms")
			.withBean(Recorder.class);
	}

	@AfterEach
	void stopSamplers() {
		this.samplers.forEach(Sampler::stop);
	}

	@Test
	void aSingleInstanceOwnsEveryShardUnderKeysWhoseCreateRevisionIsTheToken() {
		instance("a", "single", 8, Duration.ZERO).run((a) -> {
			EtcdShardedWorkload workload = workload(a, "single");
			await().atMost(Duration.ofSeconds(5)).until(() -> workload.ownedShards().size() == 8);
			long lease = a.getBean(CoordinationSession.class).leaseId();
			Recorder recorder = a.getBean(Recorder.class);
			assertThat(recorder.revoked).isEmpty();
			assertThat(recorder.assignedShards()).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
			Map<Integer, Long> told = new HashMap<>();
			recorder.assigned.forEach((event) -> told.putAll(event.getTokens()));
			for (int shard = 0; shard < 8; shard++) {
				KeyValue kv = ownerKey("single", shard);
				assertThat(kv).isNotNull();
				assertThat(workload.fencingToken(shard)).hasValue(kv.getCreateRevision());
				assertThat(told.get(shard)).isEqualTo(kv.getCreateRevision());
				assertThat(EtcdKeys.string(kv.getValue())).isEqualTo("a");
				assertThat(kv.getLease()).isEqualTo(lease);
				assertThat(workload.owner(shard)).hasValue("a");
			}
			WriteResult owned = workload.fencedWrite(0, FencedWrite.put("/shard-it/single/0", "while owned"));
			assertThat(owned.applied()).isTrue();
			assertThat(owned.holdExists()).isTrue();
		});
	}

	@Test
	void aDeletedKeyRevokesTheShardRejectsTheStaleOwnersWriteAndTheInstanceTakesItAgain() {
		instance("a", "deleted", 8, Duration.ZERO).run((a) -> {
			EtcdShardedWorkload workload = workload(a, "deleted");
			await().atMost(Duration.ofSeconds(5)).until(() -> workload.ownedShards().size() == 8);
			long token0 = workload.fencingToken(0).getAsLong();
			long token1 = workload.fencingToken(1).getAsLong();
			AtomicReference<WriteResult> stale = new AtomicReference<>();
			List<ShardsRevokedEvent> revoked = new CopyOnWriteArrayList<>();
			workload.addListener(new ShardListener() {

				@Override
				public void revoked(ShardsRevokedEvent event) {
					revoked.add(event);
					if (event.getShards().contains(1) && stale.get() == null) {
						// the workload's thread is here, so it cannot hear yet that shard 0's key goes
						// too: the instance still believes it owns shard 0, and only the fence says no
						deleteKey(ownerKeyName("deleted", 0));
						stale.set(workload.fencedWrite(0, FencedWrite.put("/shard-it/deleted/0", "stale")));
					}
				}

			});
			deleteKey(ownerKeyName("deleted", 1));
			await().atMost(Duration.ofSeconds(5)).until(() -> stale.get() != null);
			assertThat(stale.get().applied()).isFalse();
			assertThat(stale.get().holdExists()).isFalse();
			await().atMost(Duration.ofSeconds(5)).until(() -> workload.ownedShards().size() == 8
					&& workload.fencingToken(0).getAsLong() > token0 && workload.fencingToken(1).getAsLong() > token1);
			assertThat(revoked).extracting(ShardsRevokedEvent::getReason).containsOnly(Reason.KEY_DELETED);
			assertThat(revoked).flatExtracting(ShardsRevokedEvent::getShards).containsExactly(1, 0);
			assertThat(workload.fencingToken(0)).hasValue(ownerKey("deleted", 0).getCreateRevision());
			assertThat(workload.fencingToken(1)).hasValue(ownerKey("deleted", 1).getCreateRevision());
			WriteResult again = workload.fencedWrite(0, FencedWrite.put("/shard-it/deleted/0", "owned again"));
			assertThat(again.applied()).isTrue();
		});
	}

	@Test
	void aKeyDeletedAndTakenByAnotherWhileTheWatchWasCutIsNoLongerOwned() throws Exception {
		try (TcpProxy proxy = TcpProxy.start(URI.create(etcd.endpointsAsString().split(",")[0]))) {
			// a longer TTL: the session outlives the cut, so only the watch can tell the key changed hands
			instance("a", "cut", 4, Duration.ZERO)
				.withPropertyValues("coordination.etcd.endpoints=" + proxy.endpoint(), "coordination.etcd.session.ttl=6s")
				.run((a) -> {
					EtcdShardedWorkload workload = workload(a, "cut");
					await().atMost(Duration.ofSeconds(5)).until(() -> workload.ownedShards().size() == 4);
					long lease = a.getBean(CoordinationSession.class).leaseId();
					long intruder = etcd.client().getLeaseClient().grant(30).get(5, TimeUnit.SECONDS).getID();
					try {
						proxy.drop();
						deleteKey(ownerKeyName("cut", 0));
						etcd.client()
							.getKVClient()
							.put(EtcdKeys.bytes(ownerKeyName("cut", 0)), EtcdKeys.bytes("intruder"),
									PutOption.builder().withLeaseId(intruder).build())
							.get(5, TimeUnit.SECONDS);
						proxy.pass();
						// once the watch caught up, the delete and the create arrived in one view
						await().atMost(Duration.ofSeconds(4)).until(() -> workload.owner(0).equals(Optional.of("intruder")));
						assertThat(a.getBean(CoordinationSession.class).leaseId()).isEqualTo(lease);
						assertThat(workload.isOwner(0)).isFalse();
						assertThat(workload.ownedShards()).containsExactly(1, 2, 3);
						assertThat(a.getBean(Recorder.class).revokedShards(Reason.KEY_DELETED)).containsExactly(0);
					}
					finally {
						etcd.client().getLeaseClient().revoke(intruder).get(5, TimeUnit.SECONDS);
					}
				});
		}
	}

	@Test
	void aKeyOnAnInstancesLeaseThatItDoesNotOwnDoesNotKeepTheShardFromItsAssignedOwner() {
		instance("a", "stray", 32, Duration.ZERO).run((a) -> instance("b", "stray", 32, Duration.ZERO).run((b) -> {
			List<EtcdShardedWorkload> two = List.of(workload(a, "stray"), workload(b, "stray"));
			await().atMost(Duration.ofSeconds(10)).until(() -> balanced(two, 32));
			SortedSet<Integer> ofA = two.get(0).ownedShards();
			List<Integer> ofB = new ArrayList<>(two.get(1).ownedShards());
			// a key on a's lease for one of b's shards, as a take of a's whose outcome was unknown leaves
			// behind: pick one that stays assigned to b even so
			int[] pair = null;
			for (int trigger : ofB) {
				for (int stray : ofB) {
					Map<Integer, String> owners = new HashMap<>();
					ofA.forEach((shard) -> owners.put(shard, "a"));
					ofB.stream().filter((shard) -> shard != trigger && shard != stray).forEach((shard) -> owners.put(shard, "b"));
					owners.put(stray, "a");
					if (stray != trigger && "b".equals(ShardAssignment.assign("stray", 32,
							List.of(new ShardAssignment.Member("a", 1), new ShardAssignment.Member("b", 1)), owners)[stray])) {
						pair = new int[] { trigger, stray };
					}
				}
			}
			assertThat(pair).as("a shard of b that stays b's with a stray key of a's").isNotNull();
			int trigger = pair[0];
			int stray = pair[1];
			long leaseOfA = a.getBean(CoordinationSession.class).leaseId();
			AtomicReference<@Nullable Long> strayRevision = new AtomicReference<>();
			two.get(1).addListener(new ShardListener() {

				@Override
				public void revoked(ShardsRevokedEvent event) {
					if (event.getShards().contains(trigger) && strayRevision.get() == null) {
						// b's thread waits here: b cannot take the shard back before the stray key is there
						deleteKey(ownerKeyName("stray", stray));
						try {
							strayRevision.set(etcd.client()
								.getKVClient()
								.put(EtcdKeys.bytes(ownerKeyName("stray", stray)), EtcdKeys.bytes("a"),
										PutOption.builder().withLeaseId(leaseOfA).build())
								.get(5, TimeUnit.SECONDS)
								.getHeader()
								.getRevision());
						}
						catch (Exception ex) {
							throw new IllegalStateException(ex);
						}
					}
				}

			});
			deleteKey(ownerKeyName("stray", trigger));
			await().atMost(Duration.ofSeconds(5)).until(() -> strayRevision.get() != null);
			await().atMost(Duration.ofSeconds(5)).until(() -> balanced(two, 32) && two.get(1).isOwner(stray));
			assertThat(ownerKey("stray", stray).getCreateRevision()).isGreaterThan(strayRevision.get());
			assertThat(two.get(0).isOwner(stray)).isFalse();
		}));
	}

	@Test
	void threeInstancesShareSixtyFourShardsFairlyAndAgreeWhoOwnsWhat() {
		Sampler sampler = sampler();
		instance("a", "balance", 64, Duration.ZERO).run((a) -> {
			sampler.add(workload(a, "balance"));
			instance("b", "balance", 64, Duration.ZERO).run((b) -> {
				sampler.add(workload(b, "balance"));
				instance("c", "balance", 64, Duration.ZERO).run((c) -> {
					List<EtcdShardedWorkload> workloads = List.of(workload(a, "balance"), workload(b, "balance"),
							workload(c, "balance"));
					sampler.add(workloads.get(2));
					await().atMost(Duration.ofSeconds(10)).until(() -> balanced(workloads, 64));
					for (EtcdShardedWorkload workload : workloads) {
						assertThat(workload.ownedShards().size()).isBetween(21, 22);
					}
					await().atMost(Duration.ofSeconds(5)).until(() -> agreeOnOwners(workloads, List.of("a", "b", "c")));
					c.close();
					await().atMost(Duration.ofSeconds(5)).until(() -> balanced(workloads.subList(0, 2), 64));
					assertThat(workloads.get(0).ownedShards()).hasSize(32);
				});
				b.close();
				await().atMost(Duration.ofSeconds(5)).until(() -> workload(a, "balance").ownedShards().size() == 64);
			});
		});
		sampler.stop();
		assertThat(sampler.samples()).isPositive();
		assertThat(sampler.overlaps()).isEmpty();
	}

	@Test
	void aJoinMovesFewShardsAndAGracefulLeaveHandsOverRevokingBeforeDeletingTheKeys() {
		Duration settle = Duration.ofMillis(500);
		Sampler sampler = sampler();
		instance("a", "moves", 64, settle).run((a) -> instance("b", "moves", 64, settle).run((b) -> {
			List<EtcdShardedWorkload> two = List.of(workload(a, "moves"), workload(b, "moves"));
			two.forEach(sampler::add);
			await().atMost(Duration.ofSeconds(10)).until(() -> balanced(two, 64));
			Recorder recorderA = a.getBean(Recorder.class);
			Recorder recorderB = b.getBean(Recorder.class);
			recorderA.clear();
			recorderB.clear();
			instance("c", "moves", 64, settle).run((c) -> {
				List<EtcdShardedWorkload> three = List.of(two.get(0), two.get(1), workload(c, "moves"));
				sampler.add(three.get(2));
				await().atMost(Duration.ofSeconds(10)).until(() -> balanced(three, 64));
				Recorder recorderC = c.getBean(Recorder.class);
				int moved = recorderA.revokedShards(Reason.REBALANCED).size()
						+ recorderB.revokedShards(Reason.REBALANCED).size();
				logger.info("A third instance joining 2 with 64 shards moved " + moved + " shard(s)");
				assertThat(moved).isLessThanOrEqualTo((int) Math.ceil(64 / 3.0) + 1);
				assertThat(recorderC.assignedShards()).hasSize(moved).hasSameElementsAs(three.get(2).ownedShards());
				assertThat(recorderA.assignedShards()).isEmpty();
				assertThat(recorderB.assignedShards()).isEmpty();
				assertKeysHeldWhileRevoked(recorderA, "a");
				assertKeysHeldWhileRevoked(recorderB, "b");
				long lease = c.getBean(CoordinationSession.class).leaseId();
				SortedSet<Integer> leaving = three.get(2).ownedShards();
				long closing = System.nanoTime();
				c.close();
				await().atMost(settle.plusSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> balanced(two, 64));
				logger.info("Graceful leave of 1 of 3 instances (settle delay " + settle.toMillis()
						+ " ms): all 64 shards owned again after " + millisSince(closing) + " ms");
				assertThat(recorderC.revokedShards(Reason.SHUTDOWN)).hasSameElementsAs(leaving);
				assertKeysHeldWhileRevoked(recorderC, "c");
				assertThat(recorderC.revoked).allSatisfy((revoked) -> assertThat(revoked.keys().values())
					.allSatisfy((kv) -> assertThat(kv.getLease()).isEqualTo(lease)));
			});
		}));
		sampler.stop();
		assertThat(sampler.overlaps()).isEmpty();
	}

	@Test
	void anInstanceThatCannotReachEtcdStopsOwningBeforeItsLeaseExpiresAndTheOthersTakeOver() {
		Duration settle = Duration.ofMillis(500);
		Sampler sampler = sampler();
		instance("a", "lost", 64, settle).run((a) -> instance("b", "lost", 64, settle)
			.run((b) -> instance("c", "lost", 64, settle).run((c) -> {
				List<EtcdShardedWorkload> three = List.of(workload(a, "lost"), workload(b, "lost"), workload(c, "lost"));
				three.forEach(sampler::add);
				await().atMost(Duration.ofSeconds(10)).until(() -> balanced(three, 64));
				EtcdShardedWorkload lost = three.get(2);
				SortedSet<Integer> lostShards = lost.ownedShards();
				AtomicLong stoppedOwning = new AtomicLong();
				AtomicReference<@Nullable SortedSet<Integer>> ownedWhenTold = new AtomicReference<>();
				lost.addListener(new ShardListener() {

					@Override
					public void revoked(ShardsRevokedEvent event) {
						if (event.getReason() == Reason.SESSION_LOST) {
							ownedWhenTold.compareAndSet(null, lost.ownedShards());
						}
					}

				});
				AtomicLong firstTaken = new AtomicLong();
				ShardListener taking = new ShardListener() {

					@Override
					public void assigned(ShardsAssignedEvent event) {
						if (event.getShards().stream().anyMatch(lostShards::contains)) {
							firstTaken.compareAndSet(0, System.nanoTime());
						}
					}

				};
				three.get(0).addListener(taking);
				three.get(1).addListener(taking);
				Thread watcher = new Thread(() -> {
					while (!lost.ownedShards().isEmpty()) {
						LockSupport.parkNanos(100_000);
					}
					stoppedOwning.set(System.nanoTime());
				});
				watcher.setDaemon(true);
				watcher.start();
				long cut = System.nanoTime();
				// like a SIGKILL as the others see it: no more keep-alives, no revoke
				c.getBean(Client.class).close();
				await().atMost(TTL.plus(settle).plusSeconds(1)).pollInterval(Duration.ofMillis(10))
					.until(() -> balanced(three.subList(0, 2), 64));
				long allOwned = System.nanoTime();
				await().atMost(Duration.ofSeconds(2)).until(() -> ownedWhenTold.get() != null);
				assertThat(ownedWhenTold.get()).isEmpty();
				assertThat(stoppedOwning.get()).isNotZero();
				assertThat(firstTaken.get()).isNotZero();
				logger.info("Client of 1 of 3 instances closed (TTL " + TTL.toSeconds() + " s, settle delay "
						+ settle.toMillis() + " ms): it stopped owning after "
						+ Duration.ofNanos(stoppedOwning.get() - cut).toMillis() + " ms, another instance took one of its"
						+ " shards after " + Duration.ofNanos(firstTaken.get() - cut).toMillis()
						+ " ms, all 64 owned again after " + Duration.ofNanos(allOwned - cut).toMillis() + " ms");
				assertThat(stoppedOwning.get() - firstTaken.get()).isNegative();
			})));
		sampler.stop();
		assertThat(sampler.overlaps()).isEmpty();
	}

	@Test
	void aRevokedLeaseIsHeardAsSessionLostAndTheInstanceTakesPartAgainOnItsNewLease() {
		instance("a", "revoked", 16, Duration.ZERO).run((a) -> instance("b", "revoked", 16, Duration.ZERO).run((b) -> {
			List<EtcdShardedWorkload> two = List.of(workload(a, "revoked"), workload(b, "revoked"));
			await().atMost(Duration.ofSeconds(10)).until(() -> balanced(two, 16));
			EtcdShardedWorkload lost = two.get(1);
			AtomicReference<@Nullable SortedSet<Integer>> ownedWhenTold = new AtomicReference<>();
			lost.addListener(new ShardListener() {

				@Override
				public void revoked(ShardsRevokedEvent event) {
					if (event.getReason() == Reason.SESSION_LOST) {
						ownedWhenTold.compareAndSet(null, lost.ownedShards());
					}
				}

			});
			CoordinationSession session = b.getBean(CoordinationSession.class);
			long lease = session.leaseId();
			etcd.client().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
			await().atMost(Duration.ofSeconds(5)).until(() -> ownedWhenTold.get() != null);
			assertThat(ownedWhenTold.get()).isEmpty();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> session.leaseId() != 0 && session.leaseId() != lease && balanced(two, 16));
			for (int shard : lost.ownedShards()) {
				assertThat(ownerKey("revoked", shard).getLease()).isEqualTo(session.leaseId());
			}
		}));
	}

	@Test
	void anInstanceThatRejoinsWithinTheSettleDelayGetsItsShardsBackAndNobodyElseOwnedThem() {
		Duration settle = Duration.ofSeconds(2);
		instance("a", "settle", 16, settle).run((a) -> {
			EtcdShardedWorkload stays = workload(a, "settle");
			AtomicReference<SortedSet<Integer>> owned = new AtomicReference<>(new TreeSet<>());
			instance("b", "settle", 16, settle).run((b) -> {
				EtcdShardedWorkload leaves = workload(b, "settle");
				await().atMost(Duration.ofSeconds(10)).until(() -> balanced(List.of(stays, leaves), 16));
				a.getBean(Recorder.class).clear();
				owned.set(leaves.ownedShards());
			});
			SortedSet<Integer> before = owned.get();
			assertThat(before).hasSize(8);
			long left = System.nanoTime();
			Sampler sampler = sampler();
			sampler.add(stays);
			instance("b", "settle", 16, settle).run((b) -> {
				long rejoined = System.nanoTime();
				EtcdShardedWorkload back = workload(b, "settle");
				sampler.add(back);
				await().atMost(settle.plusSeconds(3)).until(() -> back.ownedShards().equals(before));
				logger.info("Rejoined " + Duration.ofNanos(rejoined - left).toMillis() + " ms after leaving; own shards"
						+ " back after " + millisSince(left) + " ms");
				assertThat(stays.ownedShards()).hasSize(16 - before.size());
				assertThat(a.getBean(Recorder.class).assignedShards()).isEmpty();
				assertThat(a.getBean(Recorder.class).revoked).isEmpty();
			});
			sampler.stop();
			assertThat(sampler.overlaps()).isEmpty();
			assertThat(sampler.seen(stays)).doesNotContainAnyElementsOf(before);
		});
	}

	@Test
	void anInstanceWithAnotherCountStandsAsideUntilTheLongestStandingInstancesStop() {
		instance("a", "mismatch", 8, Duration.ZERO).run((a) -> {
			EtcdShardedWorkload first = workload(a, "mismatch");
			instance("b", "mismatch", 8, Duration.ZERO).run((b) -> {
				List<EtcdShardedWorkload> two = List.of(first, workload(b, "mismatch"));
				await().atMost(Duration.ofSeconds(10)).until(() -> balanced(two, 8));
				instance("c", "mismatch", 16, Duration.ZERO).run((c) -> {
					EtcdShardedWorkload other = workload(c, "mismatch");
					await().atMost(Duration.ofSeconds(5)).until(() -> other.standingAside().isPresent());
					assertThat(other.standingAside().get()).contains("coordination.shards.mismatch.count is 16")
						.contains("8 shards are in force");
					await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
						.until(() -> other.ownedShards().isEmpty() && balanced(two, 8)
								&& two.get(0).ownedShards().size() == 4);
					assertThat(c.getBean(Recorder.class).assignedShards()).isEmpty();
					b.close();
					a.close();
					await().atMost(Duration.ofSeconds(5)).until(() -> other.ownedShards().size() == 16);
					assertThat(other.standingAside()).isEmpty();
				});
			});
		});
	}

	@Test
	void theCountInForceStaysWithTheFirstMemberAcrossARenewalOfItsSession() {
		Duration settle = Duration.ofSeconds(1);
		instance("x", "renewed-count", 8, settle).run((x) -> {
			EtcdShardedWorkload first = workload(x, "renewed-count");
			await().atMost(Duration.ofSeconds(5)).until(() -> first.ownedShards().size() == 8);
			instance("y", "renewed-count", 16, settle).run((y) -> {
				EtcdShardedWorkload other = workload(y, "renewed-count");
				await().atMost(Duration.ofSeconds(5)).until(() -> other.standingAside().isPresent());
				CoordinationSession session = x.getBean(CoordinationSession.class);
				long lease = session.leaseId();
				KeyValue joined = memberKey("renewed-count", lease);
				assertThat(joined).isNotNull();
				etcd.client().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
				await().atMost(Duration.ofSeconds(10)).until(() -> session.leaseId() != 0 && session.leaseId() != lease
						&& first.ownedShards().size() == 8 && ownedOnLease("renewed-count", 8, session.leaseId()));
				KeyValue rejoined = memberKey("renewed-count", session.leaseId());
				assertThat(rejoined).isNotNull();
				assertThat(rejoined.getCreateRevision()).isGreaterThan(joined.getCreateRevision());
				assertThat(EtcdKeys.string(rejoined.getValue())).contains("since=" + joined.getCreateRevision() + ",");
				// longer than the settle delay: had the renewed member counted as the newer one, the other
				// would have settled on its 16 shards by then
				await().during(settle.plusSeconds(1)).atMost(settle.plusSeconds(2))
					.until(() -> other.standingAside().isPresent() && other.ownedShards().isEmpty()
							&& first.ownedShards().size() == 8 && first.standingAside().isEmpty());
				assertThat(other.standingAside().get()).contains("8 shards are in force (instance x)");
				assertThat(y.getBean(Recorder.class).assignedShards()).isEmpty();
			});
		});
	}

	@Test
	void aRenewedSessionJoinsAgainWhenItsFirstRegistrationFails() throws Exception {
		try (TcpProxy proxy = TcpProxy.start(URI.create(etcd.endpointsAsString().split(",")[0]))) {
			// a longer TTL: the renewed session outlives the cut, so only the registration fails
			instance("a", "rejoin", 4, Duration.ZERO)
				.withPropertyValues("coordination.etcd.endpoints=" + proxy.endpoint(), "coordination.etcd.session.ttl=6s")
				.run((a) -> {
					EtcdShardedWorkload workload = workload(a, "rejoin");
					await().atMost(Duration.ofSeconds(5)).until(() -> workload.ownedShards().size() == 4);
					CoordinationSession session = a.getBean(CoordinationSession.class);
					long lease = session.leaseId();
					CountDownLatch told = new CountDownLatch(1);
					CountDownLatch resume = new CountDownLatch(1);
					workload.addListener(new ShardListener() {

						@Override
						public void revoked(ShardsRevokedEvent event) {
							if (event.getReason() == Reason.SESSION_LOST) {
								// the workload's thread waits here, so it registers the renewed session
								// only once the test cut the connection
								told.countDown();
								try {
									resume.await(10, TimeUnit.SECONDS);
								}
								catch (InterruptedException ex) {
									Thread.currentThread().interrupt();
								}
							}
						}

					});
					try {
						etcd.client().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
						assertThat(told.await(10, TimeUnit.SECONDS)).isTrue();
						await().atMost(Duration.ofSeconds(10))
							.until(() -> session.leaseId() != 0 && session.leaseId() != lease);
						long renewed = session.leaseId();
						proxy.drop();
						resume.countDown();
						// longer than the request timeout: the registration attempted meanwhile failed
						await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
							.until(() -> memberKey("rejoin", renewed) == null);
						assertThat(session.isValid(renewed)).isTrue();
						proxy.pass();
						await().atMost(Duration.ofSeconds(5)).until(() -> memberKey("rejoin", renewed) != null
								&& workload.ownedShards().size() == 4 && ownedOnLease("rejoin", 4, renewed));
						assertThat(session.leaseId()).isEqualTo(renewed);
					}
					finally {
						resume.countDown();
						proxy.pass();
					}
				});
		}
	}

	@Test
	void stoppingInterruptsAThreadHoldingAShardAndDeletesTheKeyOnceItLetGo() throws Exception {
		instance("a", "held", 4, Duration.ZERO).run((a) -> {
			EtcdShardedWorkload workload = workload(a, "held");
			await().atMost(Duration.ofSeconds(5)).until(() -> workload.ownedShards().size() == 4);
			long token = workload.fencingToken(0).getAsLong();
			CountDownLatch never = new CountDownLatch(1);
			CountDownLatch holding = new CountDownLatch(1);
			AtomicBoolean interrupted = new AtomicBoolean();
			AtomicReference<@Nullable KeyValue> keyWhenInterrupted = new AtomicReference<>();
			Thread worker = new Thread(() -> {
				try (EtcdShardedWorkload.Hold hold = workload.hold(0)) {
					assertThat(hold).isNotNull();
					holding.countDown();
					never.await();
				}
				catch (InterruptedException ex) {
					interrupted.set(true);
					keyWhenInterrupted.set(ownerKey("held", 0));
				}
			}, "shard-worker");
			worker.setDaemon(true);
			worker.start();
			Thread stopper = new Thread(workload::stop, "shard-stopper");
			stopper.setDaemon(true);
			try {
				assertThat(holding.await(5, TimeUnit.SECONDS)).isTrue();
				stopper.start();
				await().atMost(Duration.ofSeconds(5)).until(() -> !stopper.isAlive());
				assertThat(interrupted).isTrue();
				assertThat(worker.isAlive()).isFalse();
				// the key was still there while the run was ending, and is gone once stop() returned
				assertThat(keyWhenInterrupted.get()).isNotNull()
					.satisfies((kv) -> assertThat(kv.getCreateRevision()).isEqualTo(token));
				assertThat(ownerKey("held", 0)).isNull();
				assertThat(workload.isRunning()).isFalse();
			}
			finally {
				never.countDown();
				stopper.join(5000);
			}
		});
	}

	private Sampler sampler() {
		Sampler sampler = new Sampler();
		this.samplers.add(sampler);
		sampler.start();
		return sampler;
	}

	private static void assertKeysHeldWhileRevoked(Recorder recorder, String id) {
		assertThat(recorder.revoked).isNotEmpty();
		for (Revoked revoked : recorder.revoked) {
			if (revoked.event().getReason() == Reason.REBALANCED || revoked.event().getReason() == Reason.SHUTDOWN) {
				assertThat(revoked.keys().keySet()).as("keys still there in revoked(%s)", revoked.event())
					.containsExactlyInAnyOrderElementsOf(revoked.event().getShards());
				assertThat(revoked.keys().values()).allSatisfy((kv) -> assertThat(EtcdKeys.string(kv.getValue())).isEqualTo(id));
			}
		}
	}

	/**
	 * Whether every shard is owned by exactly one of the workloads, and each owns its fair part.
	 */
	private static boolean balanced(List<EtcdShardedWorkload> workloads, int count) {
		int total = 0;
		Set<Integer> union = new TreeSet<>();
		for (EtcdShardedWorkload workload : workloads) {
			SortedSet<Integer> owned = workload.ownedShards();
			int size = owned.size();
			if (size < count / workloads.size() || size > (count + workloads.size() - 1) / workloads.size()) {
				return false;
			}
			total += size;
			union.addAll(owned);
		}
		return total == count && union.size() == count;
	}

	private static boolean agreeOnOwners(List<EtcdShardedWorkload> workloads, List<String> ids) {
		Map<Integer, String> owners = new HashMap<>();
		for (int i = 0; i < workloads.size(); i++) {
			for (int shard : workloads.get(i).ownedShards()) {
				owners.put(shard, ids.get(i));
			}
		}
		for (EtcdShardedWorkload workload : workloads) {
			for (int shard = 0; shard < workload.shardCount(); shard++) {
				if (!workload.owner(shard).equals(Optional.ofNullable(owners.get(shard)))) {
					return false;
				}
			}
		}
		return true;
	}

	private static long millisSince(long nanos) {
		return Duration.ofNanos(System.nanoTime() - nanos).toMillis();
	}

	private static EtcdShardedWorkload workload(AssertableApplicationContext context, String name) {
		return context.getBean(EtcdShardedWorkloads.class).get(name);
	}

	private static String ownerKeyName(String workload, int shard) {
		return "/shards/" + workload + "/owners/" + shard;
	}

	private static @Nullable KeyValue memberKey(String workload, long leaseId) {
		return key("/shards/" + workload + "/members/" + EtcdKeys.leaseHex(leaseId));
	}

	private static boolean ownedOnLease(String workload, int count, long leaseId) {
		for (int shard = 0; shard < count; shard++) {
			KeyValue kv = ownerKey(workload, shard);
			if (kv == null || kv.getLease() != leaseId) {
				return false;
			}
		}
		return true;
	}

	private static @Nullable KeyValue ownerKey(String workload, int shard) {
		return key(ownerKeyName(workload, shard));
	}

	private static @Nullable KeyValue key(String key) {
		try {
			List<KeyValue> kvs = etcd.client()
				.getKVClient()
				.get(EtcdKeys.bytes(key))
				.get(5, TimeUnit.SECONDS)
				.getKvs();
			return kvs.isEmpty() ? null : kvs.get(0);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void deleteKey(String key) {
		try {
			etcd.client().getKVClient().delete(EtcdKeys.bytes(key)).get(5, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * One revocation, with the shards' keys as etcd had them while the listener ran.
	 */
	record Revoked(ShardsRevokedEvent event, Map<Integer, KeyValue> keys) {
	}

	/**
	 * Records what one instance's listeners hear; on a revocation, reads the shards' keys.
	 */
	static class Recorder implements ShardListener {

		final List<ShardsAssignedEvent> assigned = new CopyOnWriteArrayList<>();

		final List<Revoked> revoked = new CopyOnWriteArrayList<>();

		@Override
		public void assigned(ShardsAssignedEvent event) {
			this.assigned.add(event);
		}

		@Override
		public void revoked(ShardsRevokedEvent event) {
			Map<Integer, KeyValue> keys = new HashMap<>();
			if (event.getReason() == Reason.REBALANCED || event.getReason() == Reason.SHUTDOWN) {
				for (int shard : event.getShards()) {
					KeyValue kv = ownerKey(event.getWorkload(), shard);
					if (kv != null) {
						keys.put(shard, kv);
					}
				}
			}
			this.revoked.add(new Revoked(event, keys));
		}

		List<Integer> assignedShards() {
			return this.assigned.stream().flatMap((event) -> event.getShards().stream()).toList();
		}

		List<Integer> revokedShards(Reason reason) {
			return this.revoked.stream()
				.filter((revoked) -> revoked.event().getReason() == reason)
				.flatMap((revoked) -> revoked.event().getShards().stream())
				.toList();
		}

		void clear() {
			this.assigned.clear();
			this.revoked.clear();
		}

	}

	/**
	 * Samples the owned shards of every instance in a loop and records any shard two of them owned
	 * at the same time. Sampling proves nothing, but catches gross double ownership.
	 */
	static final class Sampler {

		private final List<EtcdShardedWorkload> workloads = new CopyOnWriteArrayList<>();

		private final Set<Integer> overlaps = ConcurrentHashMap.newKeySet();

		private final Map<EtcdShardedWorkload, Set<Integer>> seen = new ConcurrentHashMap<>();

		private final AtomicLong samples = new AtomicLong();

		private final Thread thread = new Thread(this::run, "shard-sampler");

		private volatile boolean running = true;

		void add(EtcdShardedWorkload workload) {
			this.workloads.add(workload);
		}

		void start() {
			this.thread.setDaemon(true);
			this.thread.start();
		}

		void stop() {
			this.running = false;
			try {
				this.thread.join(5000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		private void run() {
			while (this.running) {
				// the instances are read one after the other, so a shard that moves meanwhile can show
				// up at two of them: count a shard only where a second read finds the same ownership
				// (same token), which then covered the whole time between the two reads
				List<EtcdShardedWorkload> now = List.copyOf(this.workloads);
				List<Map<Integer, Long>> first = now.stream().map(Sampler::tokens).toList();
				List<Map<Integer, Long>> second = now.stream().map(Sampler::tokens).toList();
				Set<Integer> held = new TreeSet<>();
				for (int i = 0; i < now.size(); i++) {
					Map<Integer, Long> again = second.get(i);
					this.seen.computeIfAbsent(now.get(i), (key) -> ConcurrentHashMap.newKeySet()).addAll(first.get(i).keySet());
					first.get(i).forEach((shard, token) -> {
						if (token.equals(again.get(shard)) && !held.add(shard)) {
							this.overlaps.add(shard);
						}
					});
				}
				this.samples.incrementAndGet();
				// pace the loop on a shared machine; what is sampled does not wait for it
				LockSupport.parkNanos(200_000);
			}
		}

		private static Map<Integer, Long> tokens(EtcdShardedWorkload workload) {
			Map<Integer, Long> tokens = new HashMap<>();
			for (int shard : workload.ownedShards()) {
				workload.fencingToken(shard).ifPresent((token) -> tokens.put(shard, token));
			}
			return tokens;
		}

		long samples() {
			return this.samples.get();
		}

		Set<Integer> overlaps() {
			return this.overlaps;
		}

		Set<Integer> seen(EtcdShardedWorkload workload) {
			return this.seen.getOrDefault(workload, Set.of());
		}

	}

}
