package dev.coordination.it.integration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.integration.IntegrationLockAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.lock.DistributedLock;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;
import org.springframework.integration.support.locks.LockRegistry;
import org.springframework.integration.support.locks.RenewableLockRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Spring Integration code over the starter's {@link LockRegistry}, unchanged, on two instances
 * (application contexts with their own client and session) against a real etcd: its
 * {@code executeLocked}, its polling {@link LockRegistryLeaderInitiator}, and {@code renewLock} of a
 * hold lost with the session.
 */
class IntegrationLockRegistryIntegrationTests {

	private static final Duration TTL = Duration.ofSeconds(2);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class, IntegrationLockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"coordination.etcd.session.safety-margin=500ms");

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void executeLockedOnTwoInstancesNeverOverlapsAndFencingTokensGrow() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			awaitSession(a);
			awaitSession(b);
			AtomicInteger inside = new AtomicInteger();
			AtomicInteger overlaps = new AtomicInteger();
			List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
			ExecutorService threads = Executors.newFixedThreadPool(4);
			try {
				List<CompletableFuture<Void>> workers = new ArrayList<>();
				for (AssertableApplicationContext context : List.of(a, b, a, b)) {
					LockRegistry<?> registry = context.getBean(LockRegistry.class);
					workers.add(CompletableFuture.runAsync(() -> {
						for (int i = 0; i < 10; i++) {
							try {
								registry.executeLocked("orders/42", Duration.ofSeconds(20), () -> {
									if (inside.incrementAndGet() > 1) {
										overlaps.incrementAndGet();
									}
									DistributedLock lock = (DistributedLock) registry.obtain("orders/42");
									tokens.add(lock.fencingToken().getAsLong());
									TimeUnit.MILLISECONDS.sleep(5); // work inside the lock
									inside.decrementAndGet();
								});
							}
							catch (Exception ex) {
								throw new IllegalStateException(ex);
							}
						}
					}, threads));
				}
				CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
			}
			finally {
				threads.shutdownNow();
			}
			assertThat(overlaps).hasValue(0);
			assertThat(tokens).hasSize(40).isSorted();
			// both instances held it, each hold with its own etcd key: more than one token
			assertThat(tokens.stream().distinct().count()).isGreaterThan(1);
		}));
	}

	@Test
	void springIntegrationsDistributedLockWithATtlHoldsUntilUnlockedNotUntilTheTtl() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			awaitSession(a);
			awaitSession(b);
			org.springframework.integration.support.locks.DistributedLock onA = siLock(a, "reports/ttl");
			org.springframework.integration.support.locks.DistributedLock onB = siLock(b, "reports/ttl");
			ExecutorService holder = Executors.newSingleThreadExecutor();
			try {
				// the holding thread has a fencing token, as with the starter's own locks
				assertThat(holder.submit(() -> {
					onA.lock(Duration.ofMillis(500));
					return ((DistributedLock) onA).fencingToken();
				}).get(10, TimeUnit.SECONDS)).isPresent();
				// the ttl is not needed (the hold lives on the session) and does not end the hold
				await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
					.until(() -> !onB.tryLock(Duration.ZERO, Duration.ofMillis(500)));
				holder.submit(onA::unlock).get(10, TimeUnit.SECONDS);
				assertThat(onB.tryLock(Duration.ofSeconds(5), Duration.ofMillis(500))).isTrue();
				onB.unlock();
			}
			finally {
				holder.shutdownNow();
			}
		}));
	}

	private static org.springframework.integration.support.locks.DistributedLock siLock(
			AssertableApplicationContext context, String key) {
		return (org.springframework.integration.support.locks.DistributedLock) context.getBean(LockRegistry.class)
			.obtain(key);
	}

	@Test
	void lockRegistryLeaderInitiatorElectsOneOfTwoInstancesAndMovesLeadershipWhenTheLeaderStops() {
		this.contextRunner.withUserConfiguration(LeaderInitiatorConfiguration.class)
			.run((a) -> this.contextRunner.withUserConfiguration(LeaderInitiatorConfiguration.class).run((b) -> {
				List<AssertableApplicationContext> contexts = List.of(a, b);
				await().atMost(Duration.ofSeconds(10)).until(() -> leaders(contexts) == 1);
				// stays one: the follower keeps trying and failing, the leader keeps its hold
				await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
					.until(() -> leaders(contexts) == 1);
				AssertableApplicationContext leader = isLeader(a) ? a : b;
				AssertableApplicationContext follower = (leader == a) ? b : a;
				leader.close();
				await().atMost(Duration.ofSeconds(5)).until(() -> isLeader(follower));
			}));
	}

	@Test
	void renewLockReportsAHoldLostWithTheSession() {
		this.contextRunner.run((context) -> {
			awaitSession(context);
			@SuppressWarnings("unchecked")
			RenewableLockRegistry<DistributedLock> registry = context.getBean(RenewableLockRegistry.class);
			ExecutorService holder = Executors.newSingleThreadExecutor();
			try {
				DistributedLock lock = registry.obtain("renewed");
				holder.submit(() -> {
					assertThat(lock.tryLock(5, TimeUnit.SECONDS)).isTrue();
					registry.renewLock("renewed");
					registry.renewLock("renewed", Duration.ofMinutes(1));
					return null;
				}).get(10, TimeUnit.SECONDS);
				// another thread does not hold it
				assertThatIllegalStateException().isThrownBy(() -> registry.renewLock("renewed"))
					.withMessageContaining("'renewed'");
				etcd.cluster().member(0).pause();
				await().atMost(TTL.plusSeconds(1))
					.until(() -> holder.submit(lock::isHeldByCurrentThread).get(5, TimeUnit.SECONDS), (held) -> !held);
				assertThat(etcd.cluster().member(0).isPaused()).isTrue();
				// the holder thread itself is told: an assertion failing on it fails get()
				holder.submit(() -> {
					assertThatIllegalStateException().isThrownBy(() -> registry.renewLock("renewed"))
						.withMessageContaining("lost with the coordination session");
					return null;
				}).get(10, TimeUnit.SECONDS);
			}
			finally {
				holder.shutdownNow();
			}
		});
	}

	private static void awaitSession(AssertableApplicationContext context) {
		CoordinationSession session = context.getBean(CoordinationSession.class);
		await().atMost(Duration.ofSeconds(5)).until(session::isValid);
	}

	private static long leaders(List<AssertableApplicationContext> contexts) {
		return contexts.stream().filter(IntegrationLockRegistryIntegrationTests::isLeader).count();
	}

	private static boolean isLeader(AssertableApplicationContext context) {
		return context.getBean(LockRegistryLeaderInitiator.class).getContext().isLeader();
	}

	@Configuration(proxyBeanMethods = false)
	static class LeaderInitiatorConfiguration {

		@Bean
		LockRegistryLeaderInitiator leaderInitiator(LockRegistry<?> locks) {
			LockRegistryLeaderInitiator initiator = new LockRegistryLeaderInitiator(locks);
			initiator.setHeartBeatMillis(200);
			initiator.setBusyWaitMillis(50);
			return initiator;
		}

	}

}
