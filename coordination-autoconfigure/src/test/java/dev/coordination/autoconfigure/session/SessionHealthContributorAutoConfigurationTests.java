package dev.coordination.autoconfigure.session;

import java.time.Duration;
import java.time.Instant;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionInfo;
import dev.coordination.session.SessionListener;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.SessionHealthIndicator;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code coordinationSession} health indicator's auto-configuration, without etcd: the session
 * never gets a lease.
 */
class SessionHealthContributorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				SessionHealthContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void healthIndicatorIsNamedCoordinationSessionAndIsDownWithTheSessionsSettings() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(SessionHealthIndicator.class).hasBean("coordinationSessionHealthIndicator");
			Health health = context.getBean(SessionHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.DOWN);
			assertThat(health.getDetails()).containsEntry("ttl", "PT10S").containsEntry("safetyMargin", "PT2S");
		});
	}

	@Test
	void disabledByManagementProperty() {
		this.contextRunner.withPropertyValues("management.health.coordination-session.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(SessionHealthIndicator.class)
				.hasSingleBean(EtcdSession.class));
	}

	@Test
	void disabledWithEveryDefaultHealthIndicator() {
		this.contextRunner.withPropertyValues("management.health.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(SessionHealthIndicator.class));
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(SessionHealthIndicator.class));
	}

	@Test
	void backsOffWithoutHealthAndActuatorAndTheSessionRemains() {
		// imported as an application imports auto-configurations: without spring-boot-health, the
		// import filter drops the auto-configuration before its health condition is looked at
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms")
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(SessionHealthIndicator.class)
				.hasSingleBean(EtcdSession.class));
	}

	@Test
	void userDefinedBeanNamedCoordinationSessionHealthIndicatorMakesOursBackOff() {
		this.contextRunner
			.withBean("coordinationSessionHealthIndicator", HealthIndicator.class, () -> () -> Health.up().build())
			.run((context) -> assertThat(context).doesNotHaveBean(SessionHealthIndicator.class)
				.hasBean("coordinationSessionHealthIndicator"));
	}

	@Test
	void healthFollowsAUserDefinedSession() {
		this.contextRunner.withBean("userSession", CoordinationSession.class, ValidSession::new).run((context) -> {
			assertThat(context).doesNotHaveBean(EtcdSession.class);
			Health health = context.getBean(SessionHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("leaseId", "2a").containsEntry("ttl", "PT5S");
		});
	}

	/**
	 * A session of the application's own that is always valid.
	 */
	static class ValidSession implements CoordinationSession {

		@Override
		public boolean isValid() {
			return true;
		}

		@Override
		public boolean isValid(long leaseId) {
			return leaseId == 42;
		}

		@Override
		public long leaseId() {
			return 42;
		}

		@Override
		public Duration timeLeft() {
			return Duration.ofSeconds(4);
		}

		@Override
		public SessionInfo info() {
			return new SessionInfo(true, 42, Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(4),
					Instant.EPOCH, 0, null, null);
		}

		@Override
		public void addListener(SessionListener listener) {
		}

		@Override
		public void removeListener(SessionListener listener) {
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			SessionHealthContributorAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

}
