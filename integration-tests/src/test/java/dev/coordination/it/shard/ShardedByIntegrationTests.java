package dev.coordination.it.shard;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.shard.DisabledShardingAutoConfiguration;
import dev.coordination.autoconfigure.shard.ShardingAutoConfiguration;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.shard.ShardContext;
import dev.coordination.shard.ShardedBy;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * {@code @ShardedBy} methods of instances (application contexts, each with its own client and
 * session) taking part in sharded workloads in a real etcd.
 */
@ExtendWith(OutputCaptureExtension.class)
class ShardedByIntegrationTests {

	private static final String PREFIX = "/sharded-by-it";

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, ShardingAutoConfiguration.class,
				DisabledShardingAutoConfiguration.class))
		.withBean(Jobs.class)
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=2s",
				"coordination.etcd.session.safety-margin=500ms", "coordination.etcd.instance.host=127.0.0.1");

	/**
	 * An instance taking part in workload {@code jobs} with {@code count} shards, under a prefix of
	 * the test's own.
	 */
	private ApplicationContextRunner instance(String id, String test, int count) {
		return this.contextRunner.withPropertyValues("coordination.etcd.instance.id=" + id,
				"coordination.etcd.sharding.prefix=" + PREFIX + "/" + test, "coordination.shards.jobs.count=" + count,
				"coordination.shards.jobs.settle-delay=0s");
	}

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void methodWithoutParametersRunsOncePerOwnedShardInAscendingOrder() {
		instance("a", "quad", 4).run((context) -> {
			ShardedWorkload workload = workload(context);
			await().atMost(Duration.ofSeconds(5)).until(() -> workload.ownedShards().size() == 4);
			Jobs jobs = context.getBean(Jobs.class);
			jobs.everyShard();
			assertThat(jobs.shards()).containsExactly(0, 1, 2, 3);
			jobs.everyShard();
			assertThat(jobs.shards()).containsExactly(0, 1, 2, 3, 0, 1, 2, 3);
			// each run under its shard's fencing token, the create revision of the shard's key
			for (int shard = 0; shard < 4; shard++) {
				assertThat(jobs.tokens().get(shard)).isEqualTo(ownerKey("quad", shard).orElseThrow().getCreateRevision());
			}
			assertThat(jobs.stillOwner()).containsOnly(true);
			assertThat(ShardContext.currentShard()).isEmpty();
		});
	}

	@Test
	void aFailingShardLetsTheOthersRunAndTheFirstFailureIsThrown() {
		instance("a", "failing", 4).run((context) -> {
			ShardedWorkload workload = workload(context);
			await().atMost(Duration.ofSeconds(5)).until(() -> workload.ownedShards().size() == 4);
			Jobs jobs = context.getBean(Jobs.class);
			jobs.failOn(1, 2);
			assertThatExceptionOfType(IllegalStateException.class).isThrownBy(jobs::everyShard)
				.withMessage("shard 1 failed")
				.satisfies((ex) -> assertThat(ex.getSuppressed()).singleElement()
					.satisfies((suppressed) -> assertThat(suppressed).hasMessage("shard 2 failed")));
			assertThat(jobs.shards()).containsExactly(0, 1, 2, 3);
		});
	}

	@Test
	void methodWithAShardParameterRunsForAnOwnedShardAndIsSkippedForAnother() {
		instance("a", "pair", 2).run((a) -> instance("b", "pair", 2).run((b) -> {
			ShardedWorkload onA = workload(a);
			ShardedWorkload onB = workload(b);
			await().atMost(Duration.ofSeconds(10))
				.until(() -> onA.ownedShards().size() == 1 && onB.ownedShards().size() == 1);
			int mine = onA.ownedShards().first();
			int theirs = onB.ownedShards().first();
			assertThat(mine).isNotEqualTo(theirs);
			Jobs jobs = a.getBean(Jobs.class);
			assertThat(jobs.forShard(mine)).isEqualTo("ran " + mine);
			assertThat(jobs.forShard(theirs)).isNull();
			assertThat(jobs.forBoxedShard((long) mine)).contains("ran " + mine);
			assertThat(jobs.forBoxedShard((long) theirs)).isEmpty();
			assertThat(jobs.shards()).containsExactly(mine, mine);
			assertThat(b.getBean(Jobs.class).forShard(theirs)).isEqualTo("ran " + theirs);
			assertThatIllegalArgumentException().isThrownBy(() -> jobs.forBoxedShard(null))
				.withMessageContaining(Jobs.class.getName() + ".forBoxedShard(Long)")
				.withMessageContaining("null shard number");
			assertThatIllegalArgumentException().isThrownBy(() -> jobs.forShard(2))
				.withMessageContaining(Jobs.class.getName() + ".forShard(int)")
				.withMessageContaining("coordination.shards.jobs.count=2");
			assertThat(jobs.shards()).containsExactly(mine, mine);
		}));
	}

	@Test
	void aRebalanceWaitsForTheRunningInvocationOfAMovingShard() {
		instance("a", "moving", 2).run((a) -> {
			ShardedWorkload onA = workload(a);
			await().atMost(Duration.ofSeconds(5)).until(() -> onA.ownedShards().size() == 2);
			Jobs jobs = a.getBean(Jobs.class);
			// a thread each: the common pool may have one on a small machine
			ExecutorService threads = Executors.newFixedThreadPool(2);
			Future<?> run0 = threads.submit(() -> jobs.blockFor(0));
			Future<?> run1 = threads.submit(() -> jobs.blockFor(1));
			threads.shutdown();
			await().atMost(Duration.ofSeconds(5)).until(() -> jobs.blocked().size() == 2);
			instance("b", "moving", 2).run((b) -> {
				ShardedWorkload onB = workload(b);
				// the moving shard is no longer owned by a once the rebalance began
				await().atMost(Duration.ofSeconds(10)).until(() -> onA.ownedShards().size() == 1);
				int moving = 1 - onA.ownedShards().first();
				// while its run goes on, the shard's key stays a's and b does not own it
				await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
					.until(() -> ownerKey("moving", moving).map(ShardedByIntegrationTests::value).equals(Optional.of("a"))
							&& !onB.isOwner(moving));
				jobs.release();
				run0.get(5, TimeUnit.SECONDS);
				run1.get(5, TimeUnit.SECONDS);
				await().atMost(Duration.ofSeconds(5)).until(() -> onB.isOwner(moving)
						&& ownerKey("moving", moving).map(ShardedByIntegrationTests::value).equals(Optional.of("b")));
				// the run of the moving shard ended knowing it no longer owned it; the other still did
				assertThat(jobs.stillOwnerAtEnd()).containsEntry(moving, false).containsEntry(1 - moving, true);
			});
		});
	}

	@Test
	void withShardingOffEveryCallIsSkippedAndOneWarningNamesTheMethods(CapturedOutput output) {
		this.contextRunner.withPropertyValues("coordination.etcd.sharding.enabled=false")
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(ShardedWorkloads.class);
				assertSkipped(context.getBean(Jobs.class));
			});
		assertThat(output.getOut())
			.containsOnlyOnce("coordination.etcd.sharding.enabled=false: @ShardedBy methods never run on this instance")
			.contains("Affected (4): ")
			.contains(Jobs.class.getName() + ".everyShard()");
	}

	@Test
	void withCoordinationOffEveryCallIsSkippedAndOneWarningNamesTheMethods(CapturedOutput output) {
		this.contextRunner.withPropertyValues("coordination.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed().doesNotHaveBean(ShardedWorkloads.class);
			assertSkipped(context.getBean(Jobs.class));
		});
		assertThat(output.getOut())
			.containsOnlyOnce("coordination.enabled=false: @ShardedBy methods never run on this instance")
			.contains("Affected (4): ");
	}

	private static void assertSkipped(Jobs jobs) {
		jobs.everyShard();
		assertThat(jobs.forShard(0)).isNull();
		assertThat(jobs.forBoxedShard(0L)).isEmpty();
		assertThatIllegalArgumentException().isThrownBy(() -> jobs.forBoxedShard(null));
		assertThat(jobs.shards()).isEmpty();
	}

	private static ShardedWorkload workload(AssertableApplicationContext context) {
		assertThat(context).hasNotFailed();
		return context.getBean(ShardedWorkloads.class).workload("jobs");
	}

	private static Optional<KeyValue> ownerKey(String test, int shard) throws Exception {
		List<KeyValue> kvs = etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(PREFIX + "/" + test + "/jobs/owners/" + shard))
			.get(5, TimeUnit.SECONDS)
			.getKvs();
		return kvs.stream().findFirst();
	}

	private static String value(KeyValue kv) {
		return kv.getValue().toString(java.nio.charset.StandardCharsets.UTF_8);
	}

	/**
	 * A bean with {@code @ShardedBy} methods of workload {@code jobs}.
	 */
	static class Jobs {

		private final List<Integer> shards = new CopyOnWriteArrayList<>();

		private final Map<Integer, Long> tokens = new ConcurrentHashMap<>();

		private final List<Boolean> stillOwner = new CopyOnWriteArrayList<>();

		private final Map<Integer, Boolean> blocked = new ConcurrentHashMap<>();

		private final Map<Integer, Boolean> stillOwnerAtEnd = new ConcurrentHashMap<>();

		private final CountDownLatch latch = new CountDownLatch(1);

		private final List<Integer> failing = new CopyOnWriteArrayList<>();

		@ShardedBy("jobs")
		public void everyShard() {
			int shard = ShardContext.currentShard().orElseThrow();
			this.shards.add(shard);
			this.tokens.put(shard, ShardContext.currentToken().orElseThrow());
			this.stillOwner.add(ShardContext.isStillOwner());
			if (this.failing.contains(shard)) {
				throw new IllegalStateException("shard " + shard + " failed");
			}
		}

		@ShardedBy("jobs")
		public String forShard(int shard) {
			assertThat(ShardContext.currentShard()).isEqualTo(OptionalInt.of(shard));
			this.shards.add(shard);
			return "ran " + shard;
		}

		@ShardedBy("jobs")
		public Optional<String> forBoxedShard(Long shard) {
			this.shards.add(shard.intValue());
			return Optional.of("ran " + shard);
		}

		@ShardedBy("jobs")
		public void blockFor(long shard) {
			this.blocked.put((int) shard, true);
			try {
				this.latch.await(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			this.stillOwnerAtEnd.put((int) shard, ShardContext.isStillOwner());
		}

		void failOn(Integer... shards) {
			this.failing.addAll(List.of(shards));
		}

		void release() {
			this.latch.countDown();
		}

		List<Integer> shards() {
			return this.shards;
		}

		Map<Integer, Long> tokens() {
			return this.tokens;
		}

		List<Boolean> stillOwner() {
			return this.stillOwner;
		}

		Map<Integer, Boolean> blocked() {
			return this.blocked;
		}

		Map<Integer, Boolean> stillOwnerAtEnd() {
			return this.stillOwnerAtEnd;
		}

	}

}
