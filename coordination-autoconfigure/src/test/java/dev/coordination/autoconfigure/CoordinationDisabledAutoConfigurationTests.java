package dev.coordination.autoconfigure;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.autoconfigure.election.DisabledElectionAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.DisabledLockAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderLifecycle;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.internal.LeaderOnlyAdvisor;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockNotAcquiredException;
import dev.coordination.lock.internal.DistributedLockedAdvisor;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link DisabledElectionAutoConfiguration} and {@link DisabledLockAutoConfiguration}:
 * with coordination turned off, the annotations never let work run unguarded.
 */
class CoordinationDisabledAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ElectionAutoConfiguration.class, DisabledElectionAutoConfiguration.class, LockAutoConfiguration.class,
				DisabledLockAutoConfiguration.class))
		.withBean(Jobs.class)
		.withBean(Primary.class);

	@Test
	void withCoordinationOffNoClientButAnnotationsAreGuarded() {
		this.contextRunner.withPropertyValues("coordination.enabled=false",
				// not bound, not checked while locks are off
				"coordination.etcd.lock.default-wait-time=-1s")
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(Client.class)
					.doesNotHaveBean(LeaderElections.class)
					.doesNotHaveBean(DistributedLockRegistry.class)
					.hasSingleBean(LeaderOnlyAdvisor.class)
					.hasSingleBean(DistributedLockedAdvisor.class);
				Jobs jobs = context.getBean(Jobs.class);
				assertThat(jobs.leaderOnly()).isEmpty();
				assertThatExceptionOfType(LockNotAcquiredException.class).isThrownBy(() -> jobs.locked("1"))
					.withMessageContaining("coordination.enabled=false");
				assertThat(jobs.runs()).isZero();
			});
	}

	@Test
	void withCoordinationOffALeaderLifecycleBeanTheContextWouldStartFailsStartUp() {
		// the check that keeps such a bean from running on every instance holds while coordination is off
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
					ElectionAutoConfiguration.class, DisabledElectionAutoConfiguration.class))
			.withBean(AutoStartingPrimary.class)
			.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasMessageContaining("returns true from isAutoStartup()"));
	}

	@Test
	void withElectionsOffOnlyLeaderOnlyIsGuardedByTheDisabledAdvisor() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.enabled=false", "coordination.etcd.lock.enabled=true")
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(LeaderOnlyAdvisor.class)
					.doesNotHaveBean(LeaderElections.class);
				assertThat(context.getBean(Jobs.class).leaderOnly()).isEmpty();
				assertThat(context.getBean(Jobs.class).runs()).isZero();
			});
	}

	@Test
	void noDisabledAdvisorsWhileCoordinationIsOn() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DisabledElectionAutoConfiguration.class,
					DisabledLockAutoConfiguration.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(LeaderOnlyAdvisor.class)
				.doesNotHaveBean(DistributedLockedAdvisor.class)
				.doesNotHaveBean(DisabledMethodsReport.class));
	}

	static class Jobs {

		private final AtomicInteger runs = new AtomicInteger();

		@LeaderOnly
		public Optional<String> leaderOnly() {
			this.runs.incrementAndGet();
			return Optional.of("ran");
		}

		@DistributedLocked(key = "'jobs/' + #id")
		public String locked(String id) {
			this.runs.incrementAndGet();
			return "ran";
		}

		public int runs() {
			return this.runs.get();
		}

	}

	@LeaderLifecycle
	static class Primary implements SmartLifecycle {

		private volatile boolean running;

		@Override
		public void start() {
			this.running = true;
		}

		@Override
		public void stop() {
			this.running = false;
		}

		@Override
		public boolean isRunning() {
			return this.running;
		}

		@Override
		public boolean isAutoStartup() {
			return false;
		}

	}

	@LeaderLifecycle
	static class AutoStartingPrimary extends Primary {

		@Override
		public boolean isAutoStartup() {
			return true;
		}

	}

}
