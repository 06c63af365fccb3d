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

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.internal.EtcdLockRegistry;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
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
 * of an instance, interoperation with {@code etcdctl lock}. The contract every kind keeps is
 * {@link DistributedLockContractTests}'s.
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

	@AfterEach
	void leaveEtcdRunning() {
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
