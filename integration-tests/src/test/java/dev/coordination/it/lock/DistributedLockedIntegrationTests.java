package dev.coordination.it.lock;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.etcd.internal.CoordinationMeterNames;
import dev.coordination.lock.DistributedLocked.OnTimeout;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockContext;
import dev.coordination.lock.LockLostException;
import dev.coordination.lock.LockNotAcquiredException;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * {@code @DistributedLocked} methods of two instances against a real etcd.
 */
class DistributedLockedIntegrationTests {

	// shared by both instances of the test: what the lock must keep exclusive
	static final AtomicInteger inside = new AtomicInteger();

	static final AtomicInteger maxInside = new AtomicInteger();

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, LockAutoConfiguration.class))
		.withBean(Orders.class)
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=2s",
				"coordination.etcd.session.safety-margin=500ms");

	@Test
	void aLockNotAcquiredBecauseEtcdIsUnreachableSaysSo() throws Exception {
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		this.contextRunner.withBean(Unreachable.class)
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:" + port)
			.run((context) -> {
				await().atMost(Duration.ofSeconds(10))
					.until(() -> context.getBean(CoordinationSession.class).info().lastError() != null);
				assertThatExceptionOfType(LockNotAcquiredException.class)
					.isThrownBy(() -> context.getBean(Unreachable.class).run())
					.withMessageStartingWith("Lock 'unreachable/1' was not acquired within 300 ms because etcd cannot be"
							+ " reached: the coordination session has no lease (")
					.withMessageContaining("etcd at 127.0.0.1:" + port);
			});
	}

	static class Unreachable {

		@DistributedLocked(key = "'unreachable/1'", waitTime = "300ms")
		public void run() {
		}

	}

	@Test
	void concurrentCallsOfTwoInstancesOnOneKeyNeverOverlapAndSeeGrowingTokens() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			await().atMost(Duration.ofSeconds(5)).until(() -> a.getBean(CoordinationSession.class).isValid()
					&& b.getBean(CoordinationSession.class).isValid());
			List<Orders> instances = List.of(a.getBean(Orders.class), b.getBean(Orders.class));
			ExecutorService threads = Executors.newFixedThreadPool(4);
			try {
				List<Future<List<Long>>> calls = new ArrayList<>();
				for (int t = 0; t < 4; t++) {
					Orders orders = instances.get(t % 2);
					calls.add(threads.submit(() -> {
						List<Long> tokens = new ArrayList<>();
						for (int i = 0; i < 15; i++) {
							tokens.add(orders.process("42"));
						}
						return tokens;
					}));
				}
				for (Future<List<Long>> call : calls) {
					assertThat(call.get(60, TimeUnit.SECONDS)).hasSize(15).allMatch((token) -> token > 0).isSorted();
				}
			}
			finally {
				threads.shutdownNow();
			}
			assertThat(maxInside.get()).isEqualTo(1);
			// a different key is a different lock
			assertThat(instances.get(0).process("43")).isPositive();
		}));
	}

	@Test
	void heldKeyMakesOtherInstancesThrowOrSkip() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			await().atMost(Duration.ofSeconds(5)).until(() -> a.getBean(CoordinationSession.class).isValid()
					&& b.getBean(CoordinationSession.class).isValid());
			Orders onA = a.getBean(Orders.class);
			Orders onB = b.getBean(Orders.class);
			CountDownLatch holding = new CountDownLatch(1);
			CountDownLatch release = new CountDownLatch(1);
			CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> onA.hold("7", holding, release));
			assertThat(holding.await(5, TimeUnit.SECONDS)).isTrue();
			try {
				assertThatExceptionOfType(LockNotAcquiredException.class).isThrownBy(() -> onB.tryOnce("7"))
					.withMessageContaining("'orders/7'");
				assertThat(onB.skipIfBusy("7")).isEmpty();
			}
			finally {
				release.countDown();
				holder.get(5, TimeUnit.SECONDS);
			}
			assertThat(onB.skipIfBusy("7")).contains("done");
		}));
	}

	@Test
	void whileEtcdctlLockHoldsTheKeyTheAnnotatedMethodWaitsAndRunsOnceItIsGone() throws Exception {
		this.contextRunner.run((context) -> {
			await().atMost(Duration.ofSeconds(5)).until(() -> context.getBean(CoordinationSession.class).isValid());
			Orders orders = context.getBean(Orders.class);
			// etcdctl holds the lock of key 'orders/9' under the default prefix: /locks/orders%2F9
			Process etcdctl = new ProcessBuilder(LockTestSupport.etcdctl(), "--endpoints=" + etcd.endpointsAsString(),
					"lock", "/locks/orders%2F9")
				.redirectErrorStream(true)
				.start();
			try {
				try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(etcdctl.getInputStream()))) {
					// etcdctl prints the key it holds once it has the lock
					assertThat(CompletableFuture.supplyAsync(() -> {
						try {
							return reader.readLine();
						}
						catch (java.io.IOException ex) {
							throw new java.io.UncheckedIOException(ex);
						}
					}).get(10, TimeUnit.SECONDS)).startsWith("/locks/orders%2F9/");
					assertThat(orders.skipIfBusy("9")).isEmpty();
					CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> orders.process("9"));
					assertThat(waiting).isNotCompleted();
					etcdctl.destroy();
					assertThat(etcdctl.waitFor(10, TimeUnit.SECONDS)).isTrue();
					assertThat(waiting.get(10, TimeUnit.SECONDS)).isPositive();
				}
			}
			finally {
				etcdctl.destroyForcibly();
			}
		});
	}

	@Test
	void holdAtLeastKeepsTheLockAfterAnEarlyReturnUntilItsTimePassed() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			await().atMost(Duration.ofSeconds(5)).until(() -> a.getBean(CoordinationSession.class).isValid()
					&& b.getBean(CoordinationSession.class).isValid());
			Orders onA = a.getBean(Orders.class);
			Orders onB = b.getBean(Orders.class);
			for (boolean async : new boolean[] { false, true }) {
				String id = async ? "async-8" : "8";
				long started = System.nanoTime();
				long token = async ? onA.holdTwoSecondsAsync(id).toCompletableFuture().get(5, TimeUnit.SECONDS)
						: onA.holdTwoSeconds(id);
				assertThat(token).isPositive();
				// the call returned at once; the lock is still held, on this instance and on the other
				assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
				assertThat(onB.skipIfBusy(id)).as("the other instance while held").isEmpty();
				assertThat(onA.skipIfBusy(id)).as("the same instance while held").isEmpty();
				Optional<String> after = await().atMost(Duration.ofSeconds(5))
					.until(() -> onB.skipIfBusy(id), Optional::isPresent);
				assertThat(after).contains("done");
				assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
			}
		}));
	}

	@Test
	void withInterruptOnLossAHoldLostWhileAHoldAtLeastMethodRunsInterruptsIt() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.interrupt-on-loss=true").run((context) -> {
			await().atMost(Duration.ofSeconds(5)).until(() -> context.getBean(CoordinationSession.class).isValid());
			Orders orders = context.getBean(Orders.class);
			CountDownLatch holding = new CountDownLatch(1);
			CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> orders.holdUntilInterrupted("9", holding));
			assertThat(holding.await(5, TimeUnit.SECONDS)).isTrue();
			// the session cannot renew its lease: lost at its safety deadline, the method is interrupted
			etcd.cluster().member(0).pause();
			try {
				assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> call.get(5, TimeUnit.SECONDS))
					.withCauseInstanceOf(LockLostException.class);
				assertThat(Orders.interrupted).as("the method saw the interrupt").isTrue();
			}
			finally {
				etcd.cluster().member(0).resume();
			}
		});
	}

	@Test
	void acquisitionsHoldsAndTimeoutsAreMeasuredByLockName() {
		this.contextRunner.withUserConfiguration(Observability.class).run((a) -> this.contextRunner.run((b) -> {
			await().atMost(Duration.ofSeconds(5)).until(() -> a.getBean(CoordinationSession.class).isValid()
					&& b.getBean(CoordinationSession.class).isValid());
			Orders onA = a.getBean(Orders.class);
			Orders onB = b.getBean(Orders.class);
			onA.process("1");
			onA.process("2");
			CountDownLatch holding = new CountDownLatch(1);
			CountDownLatch release = new CountDownLatch(1);
			CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> onB.hold("9", holding, release));
			assertThat(holding.await(5, TimeUnit.SECONDS)).isTrue();
			try {
				assertThat(onA.skipIfBusy("9")).isEmpty();
			}
			finally {
				release.countDown();
				holder.get(5, TimeUnit.SECONDS);
			}
			MeterRegistry meters = a.getBean(MeterRegistry.class);
			assertThat(meters.get(CoordinationMeterNames.LOCK_ACQUIRE).tags("lock", "orders", "outcome", "acquired").timer().count())
				.isEqualTo(2);
			assertThat(meters.get(CoordinationMeterNames.LOCK_HELD).tag("lock", "orders").timer().count()).isEqualTo(2);
			assertThat(meters.get(CoordinationMeterNames.LOCK_ACQUIRE)
				.tags("lock", "Orders.skipIfBusy", "outcome", "timeout")
				.timer()
				.count()).isEqualTo(1);
			assertThat(meters.get(CoordinationMeterNames.LOCK_TIMEOUTS).tag("lock", "Orders.skipIfBusy").counter().count())
				.isEqualTo(1);
			// the evaluated key never becomes a tag
			assertThat(meters.getMeters()).noneMatch((meter) -> meter.getId().getTags().stream()
				.anyMatch((tag) -> tag.getValue().contains("orders/")));
		}));
	}

	@Configuration(proxyBeanMethods = false)
	static class Observability {

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

		@Bean
		ObservationRegistry observationRegistry(SimpleMeterRegistry meters) {
			ObservationRegistry observations = ObservationRegistry.create();
			observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
			return observations;
		}

	}

	static class Orders {

		@DistributedLocked(key = "'orders/' + #id", waitTime = "20s", name = "orders")
		public long process(String id) {
			int now = inside.incrementAndGet();
			maxInside.accumulateAndGet(now, Math::max);
			try {
				return LockContext.currentToken().orElse(-1);
			}
			finally {
				inside.decrementAndGet();
			}
		}

		@DistributedLocked(key = "'orders/' + #p0", waitTime = "5s")
		public void hold(String id, CountDownLatch holding, CountDownLatch release) {
			holding.countDown();
			try {
				release.await(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		static final AtomicBoolean interrupted = new AtomicBoolean();

		@DistributedLocked(key = "'orders/' + #id", waitTime = "5s", holdAtLeast = "1s")
		public String holdUntilInterrupted(String id, CountDownLatch holding) {
			holding.countDown();
			try {
				new CountDownLatch(1).await(30, TimeUnit.SECONDS);
				return "not interrupted";
			}
			catch (InterruptedException ex) {
				interrupted.set(true);
				return "interrupted";
			}
		}

		@DistributedLocked(key = "'orders/' + #id", waitTime = "0", holdAtLeast = "2s")
		public long holdTwoSeconds(String id) {
			return LockContext.currentToken().orElse(-1);
		}

		@DistributedLocked(key = "'orders/' + #id", waitTime = "0", holdAtLeast = "2s")
		public CompletionStage<Long> holdTwoSecondsAsync(String id) {
			return CompletableFuture.completedFuture(LockContext.currentToken().orElse(-1));
		}

		@DistributedLocked(key = "'orders/' + #id", waitTime = "0")
		public String tryOnce(String id) {
			return "done";
		}

		@DistributedLocked(key = "'orders/' + #id", waitTime = "200ms", onTimeout = OnTimeout.SKIP)
		public Optional<String> skipIfBusy(String id) {
			return Optional.of("done");
		}

	}

}
