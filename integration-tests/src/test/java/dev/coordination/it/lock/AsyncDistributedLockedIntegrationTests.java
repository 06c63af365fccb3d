package dev.coordination.it.lock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.DistributedLocked.OnTimeout;
import dev.coordination.lock.LockContext;
import dev.coordination.lock.LockHold;
import dev.coordination.lock.LockLostException;
import dev.coordination.lock.LockNotAcquiredException;
import dev.coordination.lock.ReactiveLocks;
import dev.coordination.session.CoordinationSession;
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
 * {@code @DistributedLocked} methods that return a {@code CompletableFuture}, a {@code Mono} or a
 * {@code Flux}, and {@link ReactiveLocks}, on two instances against a real etcd: the lock is held
 * until the asynchronous work is done, and free right after it completed, failed or was cancelled.
 */
class AsyncDistributedLockedIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, LockAutoConfiguration.class))
		.withBean(AsyncOrders.class)
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=2s",
				"coordination.etcd.session.safety-margin=500ms");

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void theLockIsHeldUntilAFutureCompletesAndItsTokenIsKnownToTheMethod() {
		twoInstances((a, b) -> {
			AsyncOrders onA = a.getBean(AsyncOrders.class);
			AsyncOrders onB = b.getBean(AsyncOrders.class);
			CompletableFuture<Long> first = onA.future("1", Duration.ofMillis(800));
			// the call returned at once; the second instance waits for the work, not for the call
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("1") == 1);
			CompletableFuture<Long> second = onB.future("1", Duration.ofMillis(10));
			long firstToken = first.get(5, TimeUnit.SECONDS);
			assertThat(firstToken).isPositive();
			assertThat(second.get(5, TimeUnit.SECONDS)).isGreaterThan(firstToken);
			assertThat(AsyncOrders.overlaps).hasValue(0);
			// released before the caller hears of the completion
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/1/");
		});
	}

	@Test
	void aFailedOrCancelledFutureReleasesTheLock() {
		twoInstances((a, b) -> {
			AsyncOrders onA = a.getBean(AsyncOrders.class);
			CompletableFuture<Long> failing = onA.failing("2");
			assertThatExceptionOfType(Exception.class).isThrownBy(() -> failing.get(5, TimeUnit.SECONDS))
				.withRootCauseInstanceOf(IllegalStateException.class)
				.withMessageContaining("the work failed");
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/2/");
			CompletableFuture<Long> slow = onA.future("2", Duration.ofSeconds(30));
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("2") == 1);
			slow.cancel(true);
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("2") == 0);
			// and the other instance gets it at once
			assertThat(b.getBean(AsyncOrders.class).tryOnceFuture("2").toCompletableFuture().get(5, TimeUnit.SECONDS))
				.isEqualTo("done");
		});
	}

	@Test
	void aBusyLockSkipsOrFailsTheFutureNeverTheCall() {
		twoInstances((a, b) -> {
			CompletableFuture<Long> holding = a.getBean(AsyncOrders.class).future("3", Duration.ofSeconds(2));
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("3") == 1);
			AsyncOrders onB = b.getBean(AsyncOrders.class);
			CompletableFuture<String> thrown = onB.tryOnceFuture("3").toCompletableFuture();
			assertThatExceptionOfType(CompletionException.class).isThrownBy(thrown::join)
				.withCauseInstanceOf(LockNotAcquiredException.class);
			assertThat(onB.skipFuture("3").get(5, TimeUnit.SECONDS)).isNull();
			assertThat(onB.skipMono("3").blockOptional(Duration.ofSeconds(5))).isEmpty();
			assertThat(onB.skipFlux("3").collectList().block(Duration.ofSeconds(5))).isEmpty();
			assertThatExceptionOfType(LockNotAcquiredException.class)
				.isThrownBy(() -> onB.tryOnceMono("3").block(Duration.ofSeconds(5)));
			holding.get(5, TimeUnit.SECONDS);
		});
	}

	@Test
	void theLockIsHeldWhileAMonoRunsAndTheHoldIsInItsContext() {
		twoInstances((a, b) -> {
			Mono<Long> first = a.getBean(AsyncOrders.class).mono("4", Duration.ofMillis(800));
			Mono<Long> second = b.getBean(AsyncOrders.class).mono("4", Duration.ofMillis(10));
			// nothing happens before subscription
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/4/");
			CompletableFuture<Long> firstDone = first.toFuture();
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("4") == 1);
			Long secondToken = second.block(Duration.ofSeconds(5));
			long firstToken = firstDone.get(5, TimeUnit.SECONDS);
			assertThat(firstToken).isPositive();
			assertThat(secondToken).isGreaterThan(firstToken);
			assertThat(AsyncOrders.overlaps).hasValue(0);
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/4/");
		});
	}

	@Test
	void disposingAFluxMidwayCancelsItsWorkAndReleasesTheLock() {
		twoInstances((a, b) -> {
			AsyncOrders onA = a.getBean(AsyncOrders.class);
			List<Long> seen = new ArrayList<>();
			Disposable subscription = onA.flux("5", 1000).subscribe(seen::add);
			await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() >= 3);
			assertThat(keys("5")).isOne();
			subscription.dispose();
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("5") == 0);
			assertThat(AsyncOrders.cancelled).isTrue();
			// a finished flux releases before it completes downstream
			assertThat(b.getBean(AsyncOrders.class).flux("5", 3).collectList().block(Duration.ofSeconds(5))).hasSize(3);
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/5/");
		});
	}

	@Test
	void fiftyCallsOfEachKindOnTwoInstancesWithOneSecondOfWorkEachNeverOverlap() throws Exception {
		twoInstances((a, b) -> {
			List<AsyncOrders> instances = List.of(a.getBean(AsyncOrders.class), b.getBean(AsyncOrders.class));
			List<Future<Long>> futures = new ArrayList<>();
			List<Mono<Long>> monos = new ArrayList<>();
			List<Flux<Long>> fluxes = new ArrayList<>();
			for (int i = 0; i < 50; i++) {
				AsyncOrders orders = instances.get(i % 2);
				futures.add(orders.futureTracked("future", Duration.ofSeconds(1)));
				monos.add(orders.monoTracked("mono", Duration.ofSeconds(1)));
				fluxes.add(orders.fluxTracked("flux", Duration.ofSeconds(1)));
			}
			// the three kinds run side by side, each on its own key: 50 s, not 150 s
			Mono<Void> all = Mono.when(Flux.merge(monos).then(), Flux.merge(fluxes).then());
			all.block(Duration.ofSeconds(90));
			for (Future<Long> future : futures) {
				future.get(90, TimeUnit.SECONDS);
			}
			for (String kind : List.of("future", "mono", "flux")) {
				List<long[]> intervals = AsyncOrders.intervals(kind);
				assertThat(intervals).as(kind).hasSize(50);
				intervals.sort((x, y) -> Long.compare(x[0], y[0]));
				for (int i = 1; i < intervals.size(); i++) {
					assertThat(intervals.get(i)[0]).as("%s call %d starts after call %d ended", kind, i, i - 1)
						.isGreaterThanOrEqualTo(intervals.get(i - 1)[1]);
				}
			}
		});
	}

	@Test
	void reactiveLocksHoldAroundWorkAndAcquireGivesAHoldToRelease() {
		twoInstances((a, b) -> {
			ReactiveLocks onA = a.getBean(ReactiveLocks.class);
			ReactiveLocks onB = b.getBean(ReactiveLocks.class);
			AtomicBoolean held = new AtomicBoolean();
			Mono<Long> work = ReactiveLocks.currentHold()
				.doOnNext((hold) -> held.set(hold.isValid()))
				.map(LockHold::fencingToken)
				.delayElement(Duration.ofMillis(300));
			CompletableFuture<Long> first = onA.withLock("reactive", work).toFuture();
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("reactive") == 1);
			assertThatExceptionOfType(LockNotAcquiredException.class)
				.isThrownBy(() -> onB.withLock("reactive", Duration.ZERO, Mono.just(1)).block(Duration.ofSeconds(5)));
			assertThat(first.get(5, TimeUnit.SECONDS)).isPositive();
			assertThat(held).isTrue();
			LockHold hold = onB.acquire("reactive", Duration.ofSeconds(5)).block(Duration.ofSeconds(5));
			assertThat(hold).isNotNull();
			assertThat(hold.isValid()).isTrue();
			assertThat(keys("reactive")).isOne();
			hold.release().get(5, TimeUnit.SECONDS);
			assertThat(hold.isValid()).isFalse();
			LockTestSupport.awaitNoKeysUnder(etcd, "/locks/reactive/");
			// the registry's asynchronous holds and threads of the same instance exclude each other
			DistributedLockRegistry registry = a.getBean(DistributedLockRegistry.class);
			LockHold async = registry.acquireAsync("reactive", Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
			assertThat(registry.obtain("reactive").tryLock()).isFalse();
			async.release().get(5, TimeUnit.SECONDS);
			assertThat(registry.obtain("reactive").tryLock()).isTrue();
			registry.obtain("reactive").unlock();
		});
	}

	@Test
	void aHoldLostWhileItsWorkRunsStopsTheWorkWithInterruptOnLossAndFailsIt() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.interrupt-on-loss=true").run((context) -> {
			await().atMost(Duration.ofSeconds(5)).until(() -> context.getBean(CoordinationSession.class).isValid());
			AsyncOrders orders = context.getBean(AsyncOrders.class);
			AsyncOrders.cancelled.set(false);
			CompletableFuture<List<Long>> flux = orders.flux("lost-flux", 1000).collectList().toFuture();
			CompletableFuture<Long> future = orders.future("lost-future", Duration.ofSeconds(30));
			await().atMost(Duration.ofSeconds(5)).until(() -> keys("lost-flux") == 1 && keys("lost-future") == 1);
			// the session cannot renew its lease: it is lost at its safety deadline, before etcd expires it
			etcd.cluster().member(0).pause();
			try {
				assertThatExceptionOfType(Exception.class).isThrownBy(() -> flux.get(5, TimeUnit.SECONDS))
					.withCauseInstanceOf(LockLostException.class);
				assertThat(AsyncOrders.cancelled).as("the flux's work was cancelled").isTrue();
				assertThatExceptionOfType(Exception.class).isThrownBy(() -> future.get(5, TimeUnit.SECONDS))
					.withCauseInstanceOf(LockLostException.class);
			}
			finally {
				etcd.cluster().member(0).resume();
			}
		});
	}

	@Test
	void aReturnTypeWhoseWorkTheLockCannotFollowFailsStartUpNamingTheMethod() {
		this.contextRunner.withBean(Unsupported.class).run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.hasMessageContaining("@DistributedLocked method " + Unsupported.class.getName() + ".later() returns "
					+ Future.class.getName()));
	}

	private void twoInstances(ContextPair test) {
		AsyncOrders.reset();
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			await().atMost(Duration.ofSeconds(5)).until(() -> a.getBean(CoordinationSession.class).isValid()
					&& b.getBean(CoordinationSession.class).isValid());
			test.run(a, b);
		}));
	}

	private static long keys(String key) throws Exception {
		return LockTestSupport.keysUnder(etcd, "/locks/" + key + "/");
	}

	@FunctionalInterface
	interface ContextPair {

		void run(AssertableApplicationContext a, AssertableApplicationContext b) throws Exception;

	}

	static class AsyncOrders {

		static final AtomicInteger inside = new AtomicInteger();

		static final AtomicInteger overlaps = new AtomicInteger();

		static final Map<String, List<long[]>> intervals = new ConcurrentHashMap<>();

		// static: the bean is a class proxy, whose own fields are not the target's
		static final AtomicBoolean cancelled = new AtomicBoolean();

		static void reset() {
			inside.set(0);
			overlaps.set(0);
			intervals.clear();
		}

		static List<long[]> intervals(String kind) {
			return new ArrayList<>(intervals.getOrDefault(kind, List.of()));
		}

		@DistributedLocked(key = "#key", waitTime = "10s")
		public CompletableFuture<Long> future(String key, Duration work) {
			long token = LockContext.currentToken().orElseThrow();
			enter();
			return CompletableFuture.supplyAsync(() -> {
				leave();
				return token;
			}, CompletableFuture.delayedExecutor(work.toMillis(), TimeUnit.MILLISECONDS));
		}

		@DistributedLocked(key = "#key", waitTime = "10s")
		public CompletableFuture<Long> failing(String key) {
			return CompletableFuture.supplyAsync(() -> {
				throw new IllegalStateException("the work failed");
			}, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
		}

		@DistributedLocked(key = "#key", waitTime = "0")
		public CompletionStage<String> tryOnceFuture(String key) {
			return CompletableFuture.completedFuture("done");
		}

		@DistributedLocked(key = "#key", waitTime = "0", onTimeout = OnTimeout.SKIP)
		public CompletableFuture<String> skipFuture(String key) {
			return CompletableFuture.completedFuture("done");
		}

		@DistributedLocked(key = "#key", waitTime = "0", onTimeout = OnTimeout.SKIP)
		public Mono<String> skipMono(String key) {
			return Mono.just("done");
		}

		@DistributedLocked(key = "#key", waitTime = "0", onTimeout = OnTimeout.SKIP)
		public Flux<String> skipFlux(String key) {
			return Flux.just("done");
		}

		@DistributedLocked(key = "#key", waitTime = "0")
		public Mono<String> tryOnceMono(String key) {
			return Mono.just("done");
		}

		@DistributedLocked(key = "#key", waitTime = "10s")
		public Mono<Long> mono(String key, Duration work) {
			return ReactiveLocks.currentHold()
				.map(LockHold::fencingToken)
				.doOnNext((token) -> enter())
				.delayElement(work)
				.doOnNext((token) -> leave());
		}

		@DistributedLocked(key = "#key", waitTime = "10s")
		public Flux<Long> flux(String key, int count) {
			cancelled.set(false);
			return Flux.interval(Duration.ofMillis(50)).take(count).doOnCancel(() -> cancelled.set(true));
		}

		@DistributedLocked(key = "#kind", waitTime = "90s")
		public CompletableFuture<Long> futureTracked(String kind, Duration work) {
			long start = System.nanoTime();
			return CompletableFuture.supplyAsync(() -> record(kind, start),
					CompletableFuture.delayedExecutor(work.toMillis(), TimeUnit.MILLISECONDS));
		}

		@DistributedLocked(key = "#kind", waitTime = "90s")
		public Mono<Long> monoTracked(String kind, Duration work) {
			return Mono.fromSupplier(System::nanoTime).delayElement(work).map((start) -> record(kind, start));
		}

		@DistributedLocked(key = "#kind", waitTime = "90s")
		public Flux<Long> fluxTracked(String kind, Duration work) {
			return Mono.fromSupplier(System::nanoTime)
				.flatMapMany((start) -> Flux.interval(work.dividedBy(2)).take(2).map((tick) -> start))
				.takeLast(1)
				.map((start) -> record(kind, start));
		}

		private static long record(String kind, long start) {
			intervals.computeIfAbsent(kind, (name) -> new CopyOnWriteArrayList<>())
				.add(new long[] { start, System.nanoTime() });
			return start;
		}

		private static void enter() {
			if (inside.incrementAndGet() > 1) {
				overlaps.incrementAndGet();
			}
		}

		private static void leave() {
			inside.decrementAndGet();
		}

	}

	static class Unsupported {

		@DistributedLocked(key = "'x'")
		public Future<String> later() {
			return CompletableFuture.completedFuture("x");
		}

	}

}
