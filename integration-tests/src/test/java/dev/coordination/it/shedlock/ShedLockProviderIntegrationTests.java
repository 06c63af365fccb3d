package dev.coordination.it.shedlock;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.shedlock.ShedLockAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.lock.LockContext;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The starter's ShedLock {@link LockProvider} with two instances (application contexts with their
 * own session) on a real etcd: exclusion, {@code lockAtLeastFor} after an early unlock, and
 * {@code lockAtMostFor} ending the hold of a job that runs too long.
 */
class ShedLockProviderIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class, ShedLockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=2s",
				"coordination.etcd.session.safety-margin=500ms");

	@Test
	void lockAtLeastForKeepsTheKeyAfterAnEarlyUnlockAndExcludesTheOtherInstanceUntilItPassed() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			awaitSession(a);
			awaitSession(b);
			EtcdTemplate etcdTemplate = a.getBean(EtcdTemplate.class);
			Instant createdAt = ClockProvider.now();
			Optional<SimpleLock> lock = a.getBean(LockProvider.class)
				.lock(new LockConfiguration(createdAt, "jobs/at-least", Duration.ofSeconds(30), Duration.ofSeconds(3)));
			assertThat(lock).isPresent();
			lock.get().unlock();
			assertThat(etcdTemplate.getPrefix("/locks/").getKvs()).as("the key after an early unlock").isNotEmpty();
			assertThat(b.getBean(LockProvider.class).lock(configuration("jobs/at-least"))).as("the other instance")
				.isEmpty();
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(etcdTemplate.getPrefix("/locks/").getKvs()).isEmpty());
			assertThat(Duration.between(createdAt, ClockProvider.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
			Optional<SimpleLock> next = b.getBean(LockProvider.class).lock(configuration("jobs/at-least"));
			assertThat(next).isPresent();
			next.get().unlock();
		}));
	}

	@Test
	void lockAtMostForReleasesTheHoldOfAJobThatRunsTooLong() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			awaitSession(a);
			awaitSession(b);
			Optional<SimpleLock> lock = a.getBean(LockProvider.class)
				.lock(new LockConfiguration(ClockProvider.now(), "jobs/at-most", Duration.ofSeconds(2), Duration.ZERO));
			assertThat(lock).isPresent();
			assertThat(b.getBean(LockProvider.class).lock(configuration("jobs/at-most"))).isEmpty();
			// the job still runs (never unlocked): the other instance gets the lock once lockAtMostFor passed
			Optional<SimpleLock> taken = await().atMost(Duration.ofSeconds(10))
				.until(() -> b.getBean(LockProvider.class).lock(configuration("jobs/at-most")), Optional::isPresent);
			assertThat(lock.get().extend(Duration.ofSeconds(30), Duration.ZERO)).as("extending a released lock").isEmpty();
			// the job ends late: its unlock releases nothing any more, and leaves the other instance's hold alone
			lock.get().unlock();
			assertThat(LockContext.currentToken()).as("the job's token after its unlock").isEmpty();
			assertThat(a.getBean(LockProvider.class).lock(configuration("jobs/at-most"))).as("while b holds").isEmpty();
			taken.get().unlock();
		}));
	}

	private static LockConfiguration configuration(String name) {
		return new LockConfiguration(ClockProvider.now(), name, Duration.ofSeconds(30), Duration.ZERO);
	}

	private static void awaitSession(AssertableApplicationContext context) {
		await().atMost(Duration.ofSeconds(10)).until(() -> context.getBean(CoordinationSession.class).isValid());
	}

}
