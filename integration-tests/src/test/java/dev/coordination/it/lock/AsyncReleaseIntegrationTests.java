package dev.coordination.it.lock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.lock.LockTestSupport.Actor;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A lock's release as its caller sees it ends the hold here; the key is deleted in the background,
 * and other instances stay excluded until it is gone. A re-acquisition that comes before the delete
 * takes the same key over, but not for ever while another instance waits. Two instances against a
 * real etcd; request timeout 3 s, so that a delete waiting for a paused etcd would hold up an
 * unlock that waits for it.
 */
class AsyncReleaseIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=3s", "coordination.etcd.session.ttl=8s",
				"coordination.etcd.session.safety-margin=1s");

	private final List<ExecutorService> actors = new ArrayList<>();

	@AfterEach
	void cleanUp() {
		this.actors.forEach(ExecutorService::shutdownNow);
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void unlockReturnsWhileEtcdIsPausedAndTheWaitingInstanceHoldsOnlyOnceTheKeyIsGone() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			LockTestSupport.awaitSession(a);
			LockTestSupport.awaitSession(b);
			DistributedLock onA = registry(a).obtain("paused");
			DistributedLock onB = registry(b).obtain("paused");
			Actor holder = actor();
			Actor waiter = actor();
			long token = holder.call(() -> {
				onA.lock();
				return onA.fencingToken().getAsLong();
			});
			Future<Boolean> keyGoneWhenAcquired = waiter.submit(() -> {
				onB.lock();
				try {
					// held only once the key of A's hold is gone from etcd
					return keysCreatedAt("/locks/paused/", token).isEmpty();
				}
				finally {
					onB.unlock();
				}
			});
			await().atMost(Duration.ofSeconds(5)).until(() -> LockTestSupport.keysUnder(etcd, "/locks/paused/") == 2);

			etcd.cluster().member(0).pause();
			Future<?> unlocked = holder.submit(() -> {
				onA.unlock();
				return null;
			});
			// a delete waiting for etcd would take the request timeout (3 s)
			await().atMost(Duration.ofSeconds(1)).until(unlocked::isDone);
			assertThat(etcd.cluster().member(0).isPaused()).isTrue();
			unlocked.get();
			assertThat(holder.call(onA::isHeldByCurrentThread)).isFalse();
			assertThat(registry(a).heldLocks()).isEmpty();
			await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1))
				.until(() -> !keyGoneWhenAcquired.isDone());
			etcd.cluster().member(0).resume();

			assertThat(keyGoneWhenAcquired.get(10, TimeUnit.SECONDS)).isTrue();
			await().atMost(Duration.ofSeconds(5)).until(() -> keysCreatedAt("/locks/paused/", token).isEmpty());
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/paused/");
		}));
	}

	@Test
	void aQuickReacquisitionReusesTheKeyAndNoOtherInstanceHoldsInBetween() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			LockTestSupport.awaitSession(a);
			LockTestSupport.awaitSession(b);
			DistributedLock onA = registry(a).obtain("reuse");
			DistributedLock onB = registry(b).obtain("reuse");
			// holds in the order they were taken (they exclude each other): instance and token
			List<long[]> holds = new ArrayList<>();
			AtomicInteger inside = new AtomicInteger();
			AtomicBoolean overlap = new AtomicBoolean();
			AtomicBoolean bHeld = new AtomicBoolean();
			Actor onInstanceA = actor();
			Actor onInstanceB = actor();
			Future<Integer> loop = onInstanceA.submit(() -> {
				int acquisitions = 0;
				long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
				// until B held, and at least 200 times
				while ((!bHeld.get() || acquisitions < 200) && System.nanoTime() - end < 0) {
					onA.lock();
					try {
						record(holds, inside, overlap, 0, onA.fencingToken().getAsLong());
					}
					finally {
						inside.decrementAndGet();
						onA.unlock();
					}
					acquisitions++;
				}
				return acquisitions;
			});
			await().atMost(Duration.ofSeconds(5)).until(() -> holdCount(holds) >= 20);
			// B queues while A keeps re-acquiring: it gets in within A's loop, not only after it
			boolean acquiredByB = onInstanceB.call(() -> {
				if (!onB.tryLock(5, TimeUnit.SECONDS)) {
					return false;
				}
				try {
					record(holds, inside, overlap, 1, onB.fencingToken().getAsLong());
				}
				finally {
					inside.decrementAndGet();
					bHeld.set(true);
					onB.unlock();
				}
				return true;
			});
			assertThat(acquiredByB).as("B acquired while A kept re-acquiring").isTrue();
			assertThat(loop.get(30, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(200);
			assertThat(overlap).isFalse();
			List<long[]> order;
			synchronized (holds) {
				order = List.copyOf(holds);
			}
			long reused = 0;
			for (int i = 1; i < order.size(); i++) {
				long[] previous = order.get(i - 1);
				long[] current = order.get(i);
				assertThat(current[1]).as("token of hold %d", i).isGreaterThanOrEqualTo(previous[1]);
				if (current[1] == previous[1]) {
					// the same key taken over: only by the instance that held it, with nobody in between
					assertThat(current[0]).as("instance of reused hold %d", i).isEqualTo(previous[0]).isZero();
					reused++;
				}
			}
			assertThat(reused).as("re-acquisitions that reused the key").isPositive();
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/reuse/");
		}));
	}

	private static void record(List<long[]> holds, AtomicInteger inside, AtomicBoolean overlap, long instance,
			long token) {
		if (inside.incrementAndGet() != 1) {
			overlap.set(true);
		}
		synchronized (holds) {
			holds.add(new long[] { instance, token });
		}
	}

	private static int holdCount(List<long[]> holds) {
		synchronized (holds) {
			return holds.size();
		}
	}

	private static List<KeyValue> keysCreatedAt(String prefix, long revision) throws Exception {
		return etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS)
			.getKvs()
			.stream()
			.filter((kv) -> kv.getCreateRevision() == revision)
			.toList();
	}

	private static DistributedLockRegistry registry(AssertableApplicationContext context) {
		return context.getBean(DistributedLockRegistry.class);
	}

	private Actor actor() {
		ExecutorService thread = Executors.newSingleThreadExecutor();
		this.actors.add(thread);
		return new Actor(thread);
	}

}
