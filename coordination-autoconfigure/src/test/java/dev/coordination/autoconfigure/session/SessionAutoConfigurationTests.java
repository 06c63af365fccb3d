package dev.coordination.autoconfigure.session;

import java.time.Duration;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.MicrometerSessionMetrics;
import dev.coordination.session.internal.SessionHealthIndicator;
import dev.coordination.session.internal.SessionMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The session's auto-configuration without etcd: nothing listens on the endpoint, so the session
 * never gets a lease (the short request timeout keeps start-up quick).
 */
class SessionAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				SessionHealthContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void defaultsAreTenSecondTtlAndTwoSecondMargin() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(EtcdSession.class).doesNotHaveBean(MicrometerSessionMetrics.class);
			EtcdSession session = context.getBean(EtcdSession.class);
			assertThat(session.info().ttl()).isEqualTo(Duration.ofSeconds(10));
			assertThat(session.info().safetyMargin()).isEqualTo(Duration.ofSeconds(2));
			assertThat(session.getKeepAliveInterval()).isEqualTo(Duration.ofMillis(8000).dividedBy(3));
			assertThat(session.isRunning()).isTrue();
		});
	}

	@Test
	void sessionWithoutEtcdStartsInvalidAndHealthIsDown() {
		this.contextRunner.run((context) -> {
			CoordinationSession session = context.getBean(CoordinationSession.class);
			assertThat(session.isValid()).isFalse();
			assertThat(session.leaseId()).isZero();
			assertThat(session.timeLeft()).isZero();
			assertThat(context.getBean(SessionHealthIndicator.class).health().getStatus())
				.isEqualTo(Status.DOWN);
			assertThat(context).hasBean("coordinationSessionHealthIndicator");
		});
	}

	@Test
	void ttlAndMarginAreBound() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.session.ttl=3s", "coordination.etcd.session.safety-margin=500ms")
			.run((context) -> {
				EtcdSession session = context.getBean(EtcdSession.class);
				assertThat(session.info().ttl()).isEqualTo(Duration.ofSeconds(3));
				assertThat(session.info().safetyMargin()).isEqualTo(Duration.ofMillis(500));
				assertThat(session.getKeepAliveInterval()).isEqualTo(Duration.ofMillis(2500).dividedBy(3));
			});
	}

	@Test
	void ttlBelowEtcdMinimumIsRejected() {
		assertInvalid("coordination.etcd.session.ttl=1s", "coordination.etcd.session.ttl", "at least 2s");
	}

	@Test
	void ttlThatIsNotWholeSecondsIsRejected() {
		assertInvalid("coordination.etcd.session.ttl=2500ms", "coordination.etcd.session.ttl", "whole number of seconds");
	}

	@Test
	void marginNotSmallerThanTtlIsRejected() {
		assertInvalid("coordination.etcd.session.safety-margin=10s", "coordination.etcd.session.safety-margin",
				"smaller than coordination.etcd.session.ttl");
	}

	@Test
	void zeroMarginIsRejected() {
		assertInvalid("coordination.etcd.session.safety-margin=0s", "coordination.etcd.session.safety-margin",
				"Must be positive");
	}

	@Test
	void micrometerMetricsWhenAMeterRegistryExists() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> assertThat(context).hasSingleBean(MicrometerSessionMetrics.class)
				.hasBean("coordinationSessionGauges"));
	}

	@Test
	void noMetricsWithoutMicrometer() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).hasSingleBean(EtcdSession.class)
				.doesNotHaveBean(MicrometerSessionMetrics.class));
	}

	@Test
	void healthIndicatorCanBeDisabled() {
		this.contextRunner.withPropertyValues("management.health.coordination-session.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(SessionHealthIndicator.class));
	}

	@Test
	void userDefinedSessionMakesOursBackOff() {
		this.contextRunner.withUserConfiguration(UserSessionConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(CoordinationSession.class).hasBean("mySession");
			assertThat(context.getBean(CoordinationSession.class).info().ttl()).isEqualTo(Duration.ofSeconds(4));
		});
	}

	private void assertInvalid(String property, String name, String reason) {
		this.contextRunner.withPropertyValues(property)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining(name)
				.hasMessageContaining(reason));
	}

	@Configuration(proxyBeanMethods = false)
	static class UserSessionConfiguration {

		@Bean
		CoordinationSession mySession(EtcdTemplate etcdTemplate) {
			return new EtcdSession(etcdTemplate, Duration.ofSeconds(4), Duration.ofSeconds(1), SessionMetrics.NONE,
					new CoordinationEvents(null), RetryPolicy.DEFAULT);
		}

	}

}
