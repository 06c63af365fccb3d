package dev.coordination.autoconfigure.session;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionInfo;
import dev.coordination.session.SessionListener;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.InstanceIdentity;
import dev.coordination.session.internal.LocalInstance;
import dev.coordination.session.internal.MicrometerSessionMetrics;
import dev.coordination.session.internal.SessionHealthIndicator;
import dev.coordination.session.internal.SessionMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;

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

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(CoordinationSession.class)
				.doesNotHaveBean(LocalInstance.class)
				.doesNotHaveBean(SessionProperties.class)
				.doesNotHaveBean(InstanceProperties.class));
	}

	@Test
	void backsOffWithoutAnEtcdTemplate() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SessionAutoConfiguration.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(CoordinationSession.class)
				.doesNotHaveBean(LocalInstance.class));
	}

	@Test
	void withoutMicrometerPackagesNoMetricsAndTheSessionStillStarts() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.hasSingleBean(EtcdSession.class)
					.hasSingleBean(LocalInstance.class)
					.doesNotHaveBean(MicrometerSessionMetrics.class)
					.doesNotHaveBean("coordinationSessionGauges");
				assertThat(context.getBean(EtcdSession.class).isRunning()).isTrue();
			});
	}

	@Test
	void sessionGaugesAreBoundToBootsMeterRegistry() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
					SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).hasSingleBean(MicrometerSessionMetrics.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(registry.get("coordination.session.valid").gauge().value()).isZero();
				assertThat(registry.get("coordination.session.time.left").gauge().value()).isZero();
			});
	}

	@Test
	void userDefinedSessionMetricsMakeOursBackOff() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withBean("userSessionMetrics", SessionMetrics.class, () -> SessionMetrics.NONE)
			.run((context) -> assertThat(context).doesNotHaveBean(MicrometerSessionMetrics.class)
				.hasSingleBean(SessionMetrics.class)
				.hasSingleBean(EtcdSession.class));
	}

	@Test
	void localInstanceIsBoundFromTheInstanceProperties() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.instance.id=orders-1", "coordination.etcd.instance.host=10.0.0.5",
					"coordination.etcd.instance.port=8080", "coordination.etcd.instance.metadata.team=billing")
			.run((context) -> {
				LocalInstance instance = context.getBean(LocalInstance.class);
				assertThat(instance.isPortConfigured()).isTrue();
				assertThat(instance.identity())
					.isEqualTo(new InstanceIdentity("orders-1", "10.0.0.5", 8080, Map.of("team", "billing")));
			});
	}

	@Test
	void instanceIdDefaultsToApplicationNameHostAndPort() {
		this.contextRunner
			.withPropertyValues("spring.application.name=orders", "coordination.etcd.instance.host=10.0.0.5",
					"coordination.etcd.instance.port=8080")
			.run((context) -> assertThat(context.getBean(LocalInstance.class).identity().instanceId())
				.isEqualTo("orders-10.0.0.5-8080"));
	}

	@Test
	void instanceWithoutPortOrWebServerHasNoPortAndAnIdWithoutOne() {
		this.contextRunner
			.withPropertyValues("spring.application.name=orders", "coordination.etcd.instance.host=10.0.0.5")
			.run((context) -> {
				LocalInstance instance = context.getBean(LocalInstance.class);
				assertThat(instance.isPortConfigured()).isFalse();
				assertThat(instance.port()).isZero();
				assertThat(instance.identity().instanceId()).isEqualTo("orders-10.0.0.5");
			});
	}

	@Test
	void userDefinedLocalInstanceMakesOursBackOff() {
		this.contextRunner.withUserConfiguration(UserLocalInstanceConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(LocalInstance.class).hasBean("userLocalInstance");
			assertThat(context.getBean(LocalInstance.class).identity().instanceId()).isEqualTo("mine");
		});
	}

	@Test
	void instancePortZeroFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.instance.port=0", "coordination.etcd.instance.port", "from 1 to 65535");
	}

	@Test
	void instancePortAbove65535FailsNamingTheProperty() {
		assertInvalid("coordination.etcd.instance.port=65536", "coordination.etcd.instance.port", "from 1 to 65535");
	}

	@Test
	void blankInstanceIdFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.instance.id= ", "coordination.etcd.instance.id", "Must not be blank");
	}

	@Test
	void ttlThatIsNotADurationFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.session.ttl=forever")
			.run((context) -> assertThat(context).getFailure().hasStackTraceContaining("coordination.etcd.session.ttl"));
	}

	@Test
	void sessionListenerBeansAreRegisteredWithTheSessionInOrder() {
		this.contextRunner.withUserConfiguration(RecordingSessionConfiguration.class, SessionListenersConfiguration.class)
			.run((context) -> {
				RecordingSession session = context.getBean(RecordingSession.class);
				assertThat(session.added).containsExactly(context.getBean("firstSessionListener", SessionListener.class),
						context.getBean("secondSessionListener", SessionListener.class));
			});
	}

	@Test
	void sessionListenerBeansAreRegisteredWithAUserDefinedSessionOfAnotherImplementation() {
		this.contextRunner.withUserConfiguration(ForeignSessionConfiguration.class, SessionListenersConfiguration.class)
			.run((context) -> {
				ForeignSession session = context.getBean(ForeignSession.class);
				assertThat(session.added).containsExactly(context.getBean("firstSessionListener", SessionListener.class),
						context.getBean("secondSessionListener", SessionListener.class));
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

	@Configuration(proxyBeanMethods = false)
	static class UserLocalInstanceConfiguration {

		@Bean
		LocalInstance userLocalInstance(Environment environment) {
			return new LocalInstance("mine", "192.0.2.1", 9090, false, Map.of(), environment);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class RecordingSessionConfiguration {

		@Bean
		RecordingSession recordingSession(EtcdTemplate etcdTemplate, CoordinationEvents events, RetryPolicy retryPolicy) {
			return new RecordingSession(etcdTemplate, events, retryPolicy);
		}

	}

	/**
	 * The real session, recording which listeners the application added.
	 */
	static class RecordingSession extends EtcdSession {

		final List<SessionListener> added = new CopyOnWriteArrayList<>();

		RecordingSession(EtcdTemplate etcdTemplate, CoordinationEvents events, RetryPolicy retryPolicy) {
			super(etcdTemplate, Duration.ofSeconds(10), Duration.ofSeconds(2), SessionMetrics.NONE, events, retryPolicy);
		}

		@Override
		public void addListener(SessionListener listener) {
			this.added.add(listener);
			super.addListener(listener);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ForeignSessionConfiguration {

		@Bean
		ForeignSession foreignSession() {
			return new ForeignSession();
		}

	}

	/**
	 * A session of the application's own, never valid, recording which listeners were added.
	 */
	static class ForeignSession implements CoordinationSession {

		final List<SessionListener> added = new CopyOnWriteArrayList<>();

		@Override
		public boolean isValid() {
			return false;
		}

		@Override
		public boolean isValid(long leaseId) {
			return false;
		}

		@Override
		public long leaseId() {
			return 0;
		}

		@Override
		public Duration timeLeft() {
			return Duration.ZERO;
		}

		@Override
		public SessionInfo info() {
			return new SessionInfo(false, 0, Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ZERO, null, 0,
					null, null);
		}

		@Override
		public void addListener(SessionListener listener) {
			this.added.add(listener);
		}

		@Override
		public void removeListener(SessionListener listener) {
			this.added.remove(listener);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SessionListenersConfiguration {

		@Bean
		@Order(2)
		SessionListener secondSessionListener() {
			return new SessionListener() {
			};
		}

		@Bean
		@Order(1)
		SessionListener firstSessionListener(CoordinationSession session) {
			// depends on the session it listens to: registered once every bean exists
			return new SessionListener() {
			};
		}

	}

}
