package dev.coordination.it.lock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.lock.LockTestSupport.Actor;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.internal.EtcdLockRegistry;
import dev.coordination.session.CoordinationSession;
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
 * What only the lock does, with several instances (application contexts with their own client and
 * session) and threads against a real etcd: increments under the lock, hand-offs between threads
 * of an instance, interoperation with {@code etcdctl lock}, a release whose delete runs after
 * {@code unlock()} returned, and a quick re-acquisition that takes the released key over. The
 * contract every kind keeps is {@link DistributedLockContractTests}'s.
 */
class DistributedLockIntegrationTests {

	private static final Duration TTL = Duration.ofSeconds(2);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"coordination.etcd.session.safety-margin=500ms");

	private final List<ExecutorService> actors = new ArrayList<>();

	@AfterEach
	void leaveEtcdRunning() {
		this.actors.forEach(ExecutorService::shutdownNow);
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void threeInstancesWithTwoThreadsEachNeverLoseAnIncrementAndTokensOnlyGrow() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> this.contextRunner.run((c) -> {
			List<AssertableApplicationContext> contexts = List.of(a, b, c);
			contexts.forEach(DistributedLockIntegrationTests::awaitSession);
			int perThread = 40;
			List<Long> tokensInCommitOrder = new ArrayList<>();
			ExecutorService threads = Executors.newFixedThreadPool(6);
			try {
				List<Future<?>> workers = new ArrayList<>();
				for (AssertableApplicationContext context : contexts) {
					for (int t = 0; t < 2; t++) {
						workers.add(threads.submit(() -> {
							DistributedLock lock = context.getBean(DistributedLockRegistry.class).obtain("counter");
							EtcdTemplate etcdTemplate = context.getBean(EtcdTemplate.class);
							for (int i = 0; i < perThread; i++) {
								lock.lock();
								try {
									// read-modify-write that only the lock makes safe
									long value = etcdTemplate.get("/test/counter")
										.map((kv) -> Long.parseLong(EtcdKeys.string(kv.getValue())))
										.orElse(0L);
									etcdTemplate.put("/test/counter", Long.toString(value + 1));
									synchronized (tokensInCommitOrder) {
										tokensInCommitOrder.add(lock.fencingToken().getAsLong());
									}
								}
								finally {
									lock.unlock();
								}
							}
							return null;
						}));
					}
				}
				for (Future<?> worker : workers) {
					worker.get(90, TimeUnit.SECONDS);
				}
			}
			finally {
				threads.shutdownNow();
			}
			long counter = Long.parseLong(a.getBean(EtcdTemplate.class)
				.get("/test/counter")
				.map((kv) -> EtcdKeys.string(kv.getValue()))
				.orElseThrow());
			assertThat(counter).isEqualTo(6L * perThread);
			assertThat(tokensInCommitOrder).hasSize(6 * perThread).isSorted();
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/counter/");
		})));
	}

	@Test
	void handOffsWhileEtcdIsBusyWithOtherWritesNeverOverlap() {
		// other writes move etcd past a waiter's read before its watch exists, so waiters look at the
		// key ahead again instead of trusting the watch alone: that look must never let one in early
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			List<AssertableApplicationContext> contexts = List.of(a, b);
			contexts.forEach(DistributedLockIntegrationTests::awaitSession);
			AtomicBoolean writing = new AtomicBoolean(true);
			AtomicInteger inside = new AtomicInteger();
			AtomicBoolean overlap = new AtomicBoolean();
			int perInstance = 60;
			ExecutorService threads = Executors.newFixedThreadPool(3);
			try {
				EtcdTemplate noise = a.getBean(EtcdTemplate.class);
				Future<?> writer = threads.submit(() -> {
					for (long i = 0; writing.get(); i++) {
						noise.put("/test/noise", Long.toString(i));
					}
					return null;
				});
				List<Future<?>> workers = new ArrayList<>();
				for (AssertableApplicationContext context : contexts) {
					workers.add(threads.submit(() -> {
						DistributedLock lock = context.getBean(DistributedLockRegistry.class).obtain("busy");
						for (int i = 0; i < perInstance; i++) {
							lock.lock();
							try {
								if (inside.incrementAndGet() > 1) {
									overlap.set(true);
								}
								// work inside, long enough for the other instance to queue behind this hold
								TimeUnit.MILLISECONDS.sleep(2);
								inside.decrementAndGet();
							}
							finally {
								lock.unlock();
							}
						}
						return null;
					}));
				}
				for (Future<?> worker : workers) {
					worker.get(90, TimeUnit.SECONDS);
				}
				writing.set(false);
				writer.get(10, TimeUnit.SECONDS);
			}
			finally {
				writing.set(false);
				threads.shutdownNow();
			}
			assertThat(overlap).isFalse();
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/busy/");
		}));
	}

	@Test
	void reentrantAndSameInstanceHandOffKeepTheEtcdKey() {
		this.contextRunner.run((context) -> {
			awaitSession(context);
			DistributedLock lock = context.getBean(DistributedLockRegistry.class).obtain("orders/42");
			lock.lock();
			lock.lock();
			long token = lock.fencingToken().getAsLong();
			assertThat(keysUnder("/locks/orders%2F42/")).isEqualTo(1);
			assertThat(context.getBean(EtcdLockRegistry.class).heldLocks()).singleElement()
				.satisfies((held) -> assertThat(held.key()).isEqualTo("orders/42"))
				.satisfies((held) -> assertThat(held.token()).isEqualTo(token));
			CountDownLatch waiting = new CountDownLatch(1);
			CompletableFuture<Long> other = CompletableFuture.supplyAsync(() -> {
				waiting.countDown();
				lock.lock();
				try {
					return lock.fencingToken().getAsLong();
				}
				finally {
					lock.unlock();
				}
			});
			await().atMost(Duration.ofSeconds(2)).until(() -> waiting.getCount() == 0
					&& context.getBean(EtcdLockRegistry.class).heldLocks().get(0).waitingThreads() == 1);
			lock.unlock();
			assertThat(lock.isHeldByCurrentThread()).isTrue();
			lock.unlock();
			assertThat(lock.isHeldByCurrentThread()).isFalse();
			// the waiting thread of this instance took the lock over under the same etcd key and token
			assertThat(other.get(5, TimeUnit.SECONDS)).isEqualTo(token);
			await().atMost(Duration.ofSeconds(2)).until(() -> keysUnder("/locks/orders%2F42/") == 0);
			assertThat(context.getBean(EtcdLockRegistry.class).heldLocks()).isEmpty();
		});
	}

	@Test
	void etcdctlLockExcludesUs() throws Exception {
		this.contextRunner.run((context) -> {
			awaitSession(context);
			Process etcdctl = new ProcessBuilder(LockTestSupport.etcdctl(), "--endpoints=" + etcd.endpointsAsString(),
					"lock", "/locks/shared")
				.redirectErrorStream(true)
				.start();
			try {
				await().atMost(Duration.ofSeconds(10)).until(() -> keysUnder("/locks/shared/") == 1);
				DistributedLock lock = context.getBean(DistributedLockRegistry.class).obtain("shared");
				assertThat(onOtherThread(() -> lock.tryLock(500, TimeUnit.MILLISECONDS))).isFalse();
				etcdctl.destroy();
				assertThat(etcdctl.waitFor(10, TimeUnit.SECONDS)).isTrue();
				assertThat(onOtherThread(() -> {
					boolean acquired = lock.tryLock(10, TimeUnit.SECONDS);
					if (acquired) {
						lock.unlock();
					}
					return acquired;
				})).isTrue();
			}
			finally {
				etcdctl.destroyForcibly();
			}
		});
	}

	@Test
	void unlockReturnsWhileEtcdIsPausedAndTheWaitingInstanceHoldsOnlyOnceTheKeyIsGone() {
		// a delete waiting for the paused etcd would take the request timeout, 3 s, and the sessions outlive the pause
		ApplicationContextRunner patient = this.contextRunner.withPropertyValues("coordination.etcd.request-timeout=3s",
				"coordination.etcd.session.ttl=8s", "coordination.etcd.session.safety-margin=1s");
		patient.run((a) -> patient.run((b) -> {
			awaitSession(a);
			awaitSession(b);
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
	void aWaiterThatGivesUpInTheMiddleOfTheLineDoesNotLetTheOneBehindItIn() {
		// B waits behind A's key alone, C behind B's and A's: when B gives up, C still waits for A.
		// (The one key ahead of a waiter going is enough for it to hold without reading again; two
		// are not.)
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> this.contextRunner.run((c) -> {
			awaitSession(a);
			awaitSession(b);
			awaitSession(c);
			DistributedLock onA = registry(a).obtain("middle");
			DistributedLock onB = registry(b).obtain("middle");
			DistributedLock onC = registry(c).obtain("middle");
			Actor holder = actor();
			long token = holder.call(() -> {
				onA.lock();
				return onA.fencingToken().getAsLong();
			});
			Future<Boolean> bGotIt = actor().submit(() -> onB.tryLock(3, TimeUnit.SECONDS));
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder("/locks/middle/") == 2);
			Future<Boolean> aWasGoneWhenCHeld = actor().submit(() -> {
				onC.lock();
				try {
					return keysCreatedAt("/locks/middle/", token).isEmpty();
				}
				finally {
					onC.unlock();
				}
			});
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder("/locks/middle/") == 3);

			assertThat(bGotIt.get(10, TimeUnit.SECONDS)).isFalse();
			// B's key gone (C may not be let in and out already: that is what is checked next)
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder("/locks/middle/") <= 2);
			await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
				.until(() -> !aWasGoneWhenCHeld.isDone());
			holder.call(() -> {
				onA.unlock();
				return null;
			});
			assertThat(aWasGoneWhenCHeld.get(10, TimeUnit.SECONDS)).isTrue();
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/middle/");
		})));
	}

	@Test
	void aQuickReacquisitionReusesTheKeyAndNoOtherInstanceHoldsInBetween() {
		// A re-acquires at once, at least 200 times: B gets in within A's loop, not only after it
		reacquisitionStreak("reuse", 0, 200, Duration.ofSeconds(5));
	}

	@Test
	void anInstanceThatReacquiresRightAfterEachUnlockLetsAWaitingInstanceInWithinTheHandOffWindow() {
		// A works inside each hold, longer than the delete of a released key lingers, and re-acquires
		// with no pause after unlock(): only the hand-off rules make it give the key up
		reacquisitionStreak("streak", 20, 0, Duration.ofSeconds(2));
	}

	/**
	 * Instance A re-acquires {@code key} right after each unlock, working {@code workMillis} inside
	 * each hold, until B held and at least {@code minimum} times; B queues once A is under way and
	 * must hold within {@code bWait}. Nobody holds at once, and A's streak reused its key.
	 */
	private void reacquisitionStreak(String key, long workMillis, int minimum, Duration bWait) {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			awaitSession(a);
			awaitSession(b);
			DistributedLock onA = registry(a).obtain(key);
			DistributedLock onB = registry(b).obtain(key);
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
				while ((!bHeld.get() || acquisitions < minimum) && System.nanoTime() - end < 0) {
					onA.lock();
					try {
						record(holds, inside, overlap, 0, onA.fencingToken().getAsLong());
						TimeUnit.MILLISECONDS.sleep(workMillis);
					}
					finally {
						inside.decrementAndGet();
						onA.unlock();
					}
					acquisitions++;
				}
				return acquisitions;
			});
			await().atMost(Duration.ofSeconds(5)).until(() -> holdCount(holds) >= 10);
			boolean acquiredByB = onInstanceB.call(() -> {
				if (!onB.tryLock(bWait.toMillis(), TimeUnit.MILLISECONDS)) {
					return false;
				}
				try {
					record(holds, inside, overlap, 1, onB.fencingToken().getAsLong());
				}
				finally {
					inside.decrementAndGet();
					onB.unlock();
				}
				return true;
			});
			bHeld.set(true);
			assertThat(loop.get(30, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(minimum);
			assertThat(acquiredByB).as("B acquired within %s while A kept re-acquiring", bWait).isTrue();
			assertThat(overlap).isFalse();
			assertThat(reusedHolds(holds)).as("re-acquisitions that reused the key").isPositive();
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/" + key + "/");
		}));
	}

	/**
	 * Check the holds in the order they were taken, and count the re-acquisitions that took the key
	 * of the hold before over: only instance 0's, with nobody in between.
	 */
	private static long reusedHolds(List<long[]> holds) {
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
		return reused;
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

	private static boolean onOtherThread(java.util.concurrent.Callable<Boolean> task) throws Exception {
		ExecutorService thread = Executors.newSingleThreadExecutor();
		try {
			return thread.submit(task).get(30, TimeUnit.SECONDS);
		}
		finally {
			thread.shutdownNow();
		}
	}

	private static CoordinationSession awaitSession(AssertableApplicationContext context) {
		return LockTestSupport.awaitSession(context);
	}

	private static long keysUnder(String prefix) throws Exception {
		return LockTestSupport.keysUnder(etcd, prefix);
	}

}
