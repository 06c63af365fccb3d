package dev.coordination.autoconfigure.election;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderContext;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderLifecycle;
import dev.coordination.election.LeaderOnly.OnNotLeader;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipState;
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.ReactiveLeaderContext;
import dev.coordination.election.ReactiveLeaderElections;
import dev.coordination.election.internal.ElectionMetrics;
import dev.coordination.election.internal.ElectionStatusLog;
import dev.coordination.election.internal.EtcdLeaderElections;
import dev.coordination.election.internal.LeaderOnlyAdvisor;
import dev.coordination.election.internal.MicrometerElectionMetrics;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.LocalInstance;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Election auto-configuration and {@code @LeaderOnly} without etcd: nothing listens on the
 * endpoint, so this instance never leads, which is what the non-leader behaviour needs.
 */
class ElectionAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, ElectionAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void electionsAdvisorAndPostProcessorAreDefined() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(EtcdLeaderElections.class)
			.hasSingleBean(LeaderOnlyAdvisor.class)
			.hasBean("leaderOnlyBeanPostProcessor"));
	}

	@Test
	void disabledByProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(LeaderElections.class)
				.doesNotHaveBean(LeaderOnlyAdvisor.class));
	}

	@Test
	void waitForReadinessWithoutApplicationAvailabilityFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.wait-for-readiness=true")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.wait-for-readiness")
				.hasMessageContaining("ApplicationAvailability"));
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(LeaderElections.class)
				.doesNotHaveBean(LeaderOnlyAdvisor.class)
				.doesNotHaveBean("leaderOnlyBeanPostProcessor")
				.doesNotHaveBean(ElectionProperties.class));
	}

	@Test
	void backsOffWithoutASession() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, ElectionAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(LeaderElections.class)
				.doesNotHaveBean(LeaderOnlyAdvisor.class));
	}

	@Test
	void disabledElectionDoesNotValidateItsProperties() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.election.enabled=false", "coordination.etcd.election.prefix=elections")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ElectionProperties.class));
	}

	@Test
	void userDefinedLeaderElectionsMakeOursBackOffAndLeaderOnlyFollowsThem() {
		this.contextRunner.withUserConfiguration(LeadingElectionsConfiguration.class, JobConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(LeaderElections.class)
					.doesNotHaveBean(EtcdLeaderElections.class)
					.hasSingleBean(LeaderOnlyAdvisor.class);
				Job job = context.getBean(Job.class);
				assertThat(job.text()).isEqualTo("ran");
				assertThat(job.optional()).contains("ran");
				assertThat(job.strict()).isEqualTo("ran");
				assertThat(job.calls()).isEqualTo(2);
				assertThat(job.tokenSeen()).isEqualTo(7);
				assertThat(context.getBean(LeaderElections.class).elections()).extracting(LeaderElection::name)
					.containsExactlyInAnyOrder("default", "reports");
			});
	}

	@Test
	void leadershipListenerBeansAreRegisteredWithTheElectionsInOrder() {
		this.contextRunner.withUserConfiguration(RecordingElectionsConfiguration.class, LeadershipListenersConfiguration.class)
			.run((context) -> {
				RecordingElections elections = context.getBean(RecordingElections.class);
				assertThat(elections.added).containsExactly(
						context.getBean("firstLeadershipListener", LeadershipListener.class),
						context.getBean("secondLeadershipListener", LeadershipListener.class));
			});
	}

	@Test
	void leadershipListenerBeansJoinUserDefinedLeaderElections() {
		this.contextRunner.withUserConfiguration(LeadingElectionsConfiguration.class, LeadershipListenersConfiguration.class)
			.run((context) -> assertThat(context.getBean(LeadingElections.class).added).containsExactly(
					context.getBean("firstLeadershipListener", LeadershipListener.class),
					context.getBean("secondLeadershipListener", LeadershipListener.class)));
	}

	@Test
	void micrometerElectionMetricsReportEveryJoinedElection() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withUserConfiguration(JobConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(MicrometerElectionMetrics.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(registry.get("coordination.election.leader").tag("election", "reports").gauge().value())
					.isZero();
				assertThat(registry.get("coordination.election.leader").tag("election", "default").gauge().value())
					.isZero();
			});
	}

	@Test
	void userDefinedElectionMetricsMakeOursBackOff() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withBean("userElectionMetrics", ElectionMetrics.class, () -> ElectionMetrics.NONE)
			.run((context) -> assertThat(context).doesNotHaveBean(MicrometerElectionMetrics.class)
				.hasSingleBean(EtcdLeaderElections.class));
	}

	@Test
	void noElectionMetricsWithoutAMeterRegistry() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(ElectionMetrics.class));
	}

	@Test
	void withoutMicrometerNoMetricsAndLeaderOnlyStillWorks() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
			.withBean(PublicJob.class, PublicJob::new)
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(ElectionMetrics.class)
					.hasSingleBean(EtcdLeaderElections.class);
				PublicJob job = context.getBean(PublicJob.class);
				assertThat(job.run()).isNull();
				assertThat(job.calls()).isZero();
			});
	}

	@Test
	void proxyTargetClassFalseGivesAJdkProxyForALeaderOnlyBeanWithAnInterface() {
		this.contextRunner.withPropertyValues("spring.aop.proxy-target-class=false")
			.withUserConfiguration(ReportConfiguration.class)
			.run((context) -> {
				Report report = context.getBean(Report.class);
				assertThat(AopUtils.isJdkDynamicProxy(report)).isTrue();
				assertThat(report.run()).isNull();
			});
	}

	@Test
	void proxyTargetClassFalseGivesAJdkProxyWithoutBootsAopAutoConfiguration() {
		withoutBootsAop().withPropertyValues("spring.aop.proxy-target-class=false")
			.withUserConfiguration(ReportConfiguration.class)
			.run((context) -> {
				Report report = context.getBean(Report.class);
				assertThat(AopUtils.isJdkDynamicProxy(report)).isTrue();
				assertThat(report.run()).isNull();
			});
	}

	@Test
	void proxyTargetClassByDefaultGivesAClassProxyForALeaderOnlyBeanWithAnInterface() {
		this.contextRunner.withUserConfiguration(ReportConfiguration.class).run((context) -> {
			Report report = context.getBean(Report.class);
			assertThat(AopUtils.isCglibProxy(report)).isTrue();
			assertThat(context.getBean(LeaderReport.class).run()).isNull();
		});
	}

	@Test
	void proxyTargetClassByDefaultGivesAClassProxyWithoutBootsAopAutoConfiguration() {
		withoutBootsAop().withUserConfiguration(ReportConfiguration.class).run((context) -> {
			Report report = context.getBean(Report.class);
			assertThat(AopUtils.isCglibProxy(report)).isTrue();
			assertThat(context.getBean(LeaderReport.class).run()).isNull();
		});
	}

	@Test
	void proxyTargetClassTrueGivesAClassProxyWithoutBootsAopAutoConfiguration() {
		withoutBootsAop().withPropertyValues("spring.aop.proxy-target-class=true")
			.withUserConfiguration(ReportConfiguration.class)
			.run((context) -> assertThat(AopUtils.isCglibProxy(context.getBean(Report.class))).isTrue());
	}

	@Test
	void proxyTargetClassFalseStillGivesAClassProxyForABeanWithoutInterfaces() {
		this.contextRunner.withPropertyValues("spring.aop.proxy-target-class=false")
			.withUserConfiguration(JobConfiguration.class)
			.run((context) -> {
				Job job = context.getBean(Job.class);
				assertThat(AopUtils.isCglibProxy(job)).isTrue();
				assertThat(job.text()).isNull();
			});
	}

	@Test
	void leaderOnlyOnAnInterfaceMethodIsHonouredWithJdkProxies() {
		this.contextRunner.withPropertyValues("spring.aop.proxy-target-class=false")
			.withUserConfiguration(AnnotatedInterfaceConfiguration.class)
			.run((context) -> {
				AnnotatedTask task = context.getBean(AnnotatedTask.class);
				assertThat(AopUtils.isJdkDynamicProxy(task)).isTrue();
				assertThat(task.run()).isNull();
			});
	}

	@Test
	void leaderOnlyOnAnInterfaceMethodIsHonouredWithClassProxies() {
		this.contextRunner.withUserConfiguration(AnnotatedInterfaceConfiguration.class).run((context) -> {
			AnnotatedTask task = context.getBean(AnnotatedTask.class);
			assertThat(task.run()).isNull();
		});
	}

	@Test
	void prefixWithoutLeadingSlashFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.prefix=elections")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.prefix"));
	}

	@Test
	void emptyPrefixFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.prefix=")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.prefix"));
	}

	@Test
	void prefixWithAControlCharacterFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.prefix=/elec\ttions")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.prefix")
				.hasMessageContaining("control characters"));
	}

	@Test
	void zeroRetryPeriodFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.retry-period=0s")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.retry-period")
				.hasMessageContaining("positive"));
	}

	@Test
	void negativeRetryPeriodOfOneElectionFailsNamingItsProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.elections.reports.retry-period=-1s")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.elections.reports.retry-period"));
	}

	@Test
	void retryPeriodLongerThanADayFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.retry-period=2d")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.retry-period")
				.hasMessageContaining("at most 1d"));
	}

	@Test
	void electionsOwnRetryPeriodOverridesTheGlobalOne() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.election.retry-period=2s",
					"coordination.etcd.election.elections.reports.retry-period=300ms")
			.run((context) -> {
				ElectionProperties properties = context.getBean(ElectionProperties.class);
				assertThat(properties.retryPeriod("reports")).isEqualTo(Duration.ofMillis(300));
				assertThat(properties.retryPeriod("other")).isEqualTo(Duration.ofSeconds(2));
			});
	}

	@Test
	void noRetryPeriodByDefault() {
		this.contextRunner.run((context) -> assertThat(context.getBean(ElectionProperties.class).retryPeriod("reports"))
			.isNull());
	}

	@Test
	void zeroStatusLogIntervalFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.status-log-interval=0s")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.status-log-interval")
				.hasMessageContaining("positive"));
	}

	@Test
	void emptyStatusLogIntervalFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.status-log-interval=")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.status-log-interval"));
	}

	@Test
	void statusLogOnlyWhenItsIntervalIsSet() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(ElectionStatusLog.class));
		this.contextRunner.withPropertyValues("coordination.etcd.election.status-log-interval=30s")
			.run((context) -> assertThat(context).hasSingleBean(ElectionStatusLog.class));
	}

	@Test
	void primitiveReturnWithSkipIsRejectedWhenTheBeanIsCreated() {
		this.contextRunner.withUserConfiguration(PrimitiveJobConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("@LeaderOnly method " + PrimitiveJob.class.getName() + ".count()")
				.hasStackTraceContaining("returns int")
				.hasStackTraceContaining("onNotLeader = THROW"));
	}

	@Test
	void primitivePublicMethodOfAnnotatedClassIsRejected() {
		this.contextRunner.withUserConfiguration(AnnotatedClassConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining(AnnotatedClassJob.class.getName() + ".isBusy()"));
	}

	@Test
	void nonLeaderSkipsOrThrowsAndJoinsTheElectionsAtStartUp() {
		this.contextRunner.withUserConfiguration(JobConfiguration.class).run((context) -> {
			Job job = context.getBean(Job.class);
			assertThat(AopUtils.isAopProxy(job)).isTrue();
			assertThat(job.text()).isNull();
			assertThat(job.optional()).isEmpty();
			job.work();
			assertThat(job.calls()).isZero();
			assertThatExceptionOfType(NotLeaderException.class).isThrownBy(job::primitiveWithThrow);
			assertThatExceptionOfType(NotLeaderException.class).isThrownBy(job::strict)
				.withMessageContaining("election 'reports'")
				.withMessageContaining(Job.class.getName() + ".strict()");
			assertThat(job.notAnnotated()).isEqualTo("always");
			assertThat(context.getBean(LeaderElections.class).elections()).extracting(LeaderElection::name)
				.containsExactlyInAnyOrder("default", "reports");
		});
	}

	@Test
	void leaderOnlyWorksWithoutBootsAopAutoConfiguration() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
					ElectionAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms")
			.withUserConfiguration(JobConfiguration.class)
			.run((context) -> {
				Job job = context.getBean(Job.class);
				assertThat(AopUtils.isAopProxy(job)).isTrue();
				assertThat(job.text()).isNull();
			});
	}

	@Test
	void leaderOnlyWorksWhenBootsAopAutoConfigurationIsSwitchedOff() {
		this.contextRunner.withPropertyValues("spring.aop.auto=false")
			.withUserConfiguration(JobConfiguration.class)
			.run((context) -> {
				Job job = context.getBean(Job.class);
				assertThat(AopUtils.isCglibProxy(job)).isTrue();
				assertThat(job.text()).isNull();
			});
	}

	@Test
	void leaderLifecycleBeanThatStartsByItselfIsRejected() {
		this.contextRunner.withUserConfiguration(AutoStartingLifecycleConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("returns true from isAutoStartup()"));
	}

	@Test
	void reactiveLeaderElectionsAreDefinedWithReactor() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(ReactiveLeaderElections.class));
	}

	@Test
	void noReactiveLeaderElectionsWithoutReactor() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(Mono.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(EtcdLeaderElections.class)
				.doesNotHaveBean(ReactiveLeaderElections.class));
	}

	@Test
	void noReactiveLeaderElectionsWhenElectionIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ReactiveLeaderElections.class));
	}

	@Test
	void reactiveLeaderElectionsFollowUserDefinedLeaderElections() {
		this.contextRunner.withUserConfiguration(LeadingElectionsConfiguration.class).run((context) -> {
			ReactiveLeaderElections reactive = context.getBean(ReactiveLeaderElections.class);
			assertThat(reactive.leader("reports").block(Duration.ofSeconds(5)))
				.extracting(Candidate::instanceId)
				.isEqualTo("me");
			LeadershipState state = reactive.observe("reports").blockFirst(Duration.ofSeconds(5));
			assertThat(state).isNotNull();
			assertThat(state.isLeader()).isTrue();
			assertThat(state.term()).extracting(LeaderTerm::token).isEqualTo(7L);
		});
	}

	@Test
	void reactiveLeaderLookupIsEmptyWhileNobodyLeads() {
		this.contextRunner.run((context) -> {
			ReactiveLeaderElections reactive = context.getBean(ReactiveLeaderElections.class);
			assertThat(reactive.leader("reports").blockOptional(Duration.ofSeconds(5))).isEmpty();
			LeadershipState state = reactive.observe("reports").blockFirst(Duration.ofSeconds(5));
			assertThat(state).isEqualTo(new LeadershipState("reports", null, null));
		});
	}

	@Test
	void unsupportedAsynchronousReturnTypeFailsStartUpNamingTheMethod() {
		this.contextRunner.withBean(FutureJob.class, FutureJob::new)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("@LeaderOnly method " + FutureJob.class.getName() + ".run() returns "
						+ Future.class.getName())
				.hasStackTraceContaining("Supported: a synchronous result (any type or void), CompletionStage or"
						+ " CompletableFuture, and Reactive Streams types such as Mono and Flux"));
	}

	@Test
	void primitiveCheckDoesNotApplyToAsynchronousMethods() {
		this.contextRunner.withBean(AsyncJob.class, AsyncJob::new)
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void nonLeadersAsynchronousMethodsSkipOrFailThroughTheirResultWithoutThrowing() throws Exception {
		this.contextRunner.withBean(AsyncJob.class, AsyncJob::new).run((context) -> {
			AsyncJob job = context.getBean(AsyncJob.class);
			assertThat(job.stage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isNull();
			CompletableFuture<String> strict = job.strictFuture();
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> strict.get(5, TimeUnit.SECONDS))
				.havingCause()
				.isInstanceOf(NotLeaderException.class)
				.withMessageContaining(AsyncJob.class.getName() + ".strictFuture()");
			assertThat(job.mono().blockOptional(Duration.ofSeconds(5))).isEmpty();
			assertThat(job.flux().collectList().block(Duration.ofSeconds(5))).isEmpty();
			Mono<String> strictMono = job.strictMono();
			assertThatExceptionOfType(NotLeaderException.class).isThrownBy(() -> strictMono.block(Duration.ofSeconds(5)))
				.withMessageContaining(AsyncJob.class.getName() + ".strictMono()");
			Flux<String> strictFlux = job.strictFlux();
			assertThatExceptionOfType(NotLeaderException.class)
				.isThrownBy(() -> strictFlux.blockLast(Duration.ofSeconds(5)));
			assertThat(job.calls()).isZero();
		});
	}

	@Test
	void leadersReactiveMethodsRunAtEachSubscriptionWithTheTermInTheirContext() {
		this.contextRunner.withUserConfiguration(LeadingElectionsConfiguration.class)
			.withBean(AsyncJob.class, AsyncJob::new)
			.run((context) -> {
				AsyncJob job = context.getBean(AsyncJob.class);
				Mono<String> mono = job.mono();
				assertThat(job.calls()).isZero();
				assertThat(mono.block(Duration.ofSeconds(5))).isEqualTo("token 7");
				assertThat(mono.block(Duration.ofSeconds(5))).isEqualTo("token 7");
				assertThat(job.calls()).isEqualTo(2);
				assertThat(job.tokenInBody()).isEqualTo(7);
				assertThat(job.flux().collectList().block(Duration.ofSeconds(5))).containsExactly("a", "b", "still true");
				assertThat(job.stage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo("staged");
				assertThat(job.calls()).isEqualTo(4);
				assertThat(ReactiveLeaderContext.currentTerm().blockOptional()).isEmpty();
				assertThat(ReactiveLeaderContext.isStillLeader().block()).isFalse();
			});
	}

	private ApplicationContextRunner withoutBootsAop() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
					ElectionAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");
	}

	@Configuration(proxyBeanMethods = false)
	static class PrimitiveJobConfiguration {

		@Bean
		PrimitiveJob primitiveJob() {
			return new PrimitiveJob();
		}

	}

	static class PrimitiveJob {

		@LeaderOnly
		public int count() {
			return 1;
		}

	}

	/**
	 * Asynchronous work: public, so that its class proxy can be defined by a
	 * {@link FilteredClassLoader} too.
	 */
	public static class AsyncJob {

		private final AtomicInteger calls = new AtomicInteger();

		private final AtomicLong tokenInBody = new AtomicLong();

		public int calls() {
			return this.calls.get();
		}

		public long tokenInBody() {
			return this.tokenInBody.get();
		}

		@LeaderOnly
		public CompletionStage<String> stage() {
			this.calls.incrementAndGet();
			return CompletableFuture.completedFuture("staged");
		}

		@LeaderOnly(onNotLeader = OnNotLeader.THROW)
		public CompletableFuture<String> strictFuture() {
			this.calls.incrementAndGet();
			return CompletableFuture.completedFuture("strict");
		}

		@LeaderOnly
		public Mono<String> mono() {
			this.calls.incrementAndGet();
			this.tokenInBody.set(LeaderContext.currentTerm().map(LeaderTerm::token).orElse(-1L));
			return ReactiveLeaderContext.currentTerm().map((term) -> "token " + term.token());
		}

		@LeaderOnly
		public Flux<String> flux() {
			this.calls.incrementAndGet();
			return Flux.just("a", "b").concatWith(ReactiveLeaderContext.isStillLeader().map((still) -> "still " + still));
		}

		@LeaderOnly(onNotLeader = OnNotLeader.THROW)
		public Mono<String> strictMono() {
			this.calls.incrementAndGet();
			return Mono.just("strict");
		}

		@LeaderOnly(onNotLeader = OnNotLeader.THROW)
		public Flux<String> strictFlux() {
			this.calls.incrementAndGet();
			return Flux.just("strict");
		}

	}

	/**
	 * A method whose work {@code @LeaderOnly} cannot follow.
	 */
	public static class FutureJob {

		@LeaderOnly
		public Future<String> run() {
			return CompletableFuture.completedFuture("ran");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class AnnotatedClassConfiguration {

		@Bean
		AnnotatedClassJob annotatedClassJob() {
			return new AnnotatedClassJob();
		}

	}

	@LeaderOnly
	static class AnnotatedClassJob {

		public void run() {
		}

		public boolean isBusy() {
			return false;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class JobConfiguration {

		@Bean
		Job job() {
			return new Job();
		}

	}

	static class Job {

		int calls;

		long tokenSeen;

		// read through the proxy: its own fields are never set
		int calls() {
			return this.calls;
		}

		long tokenSeen() {
			return this.tokenSeen;
		}

		@LeaderOnly
		public String text() {
			this.calls++;
			this.tokenSeen = LeaderContext.currentTerm().map(LeaderTerm::token).orElse(-1L);
			return "ran";
		}

		@LeaderOnly
		public Optional<String> optional() {
			this.calls++;
			return Optional.of("ran");
		}

		@LeaderOnly
		public void work() {
			this.calls++;
		}

		@LeaderOnly(election = "reports", onNotLeader = OnNotLeader.THROW)
		public String strict() {
			return "ran";
		}

		@LeaderOnly(onNotLeader = OnNotLeader.THROW)
		public int primitiveWithThrow() {
			return 1;
		}

		public String notAnnotated() {
			return "always";
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class AutoStartingLifecycleConfiguration {

		@Bean
		AutoStartingLifecycle autoStartingLifecycle() {
			return new AutoStartingLifecycle();
		}

	}

	@LeaderLifecycle
	static class AutoStartingLifecycle implements SmartLifecycle {

		private boolean running;

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

	}

	/**
	 * A job whose class proxy can be defined by a {@link FilteredClassLoader}: a package-private
	 * superclass is only accessible from its own class loader.
	 */
	public static class PublicJob {

		private int calls;

		@LeaderOnly
		public String run() {
			this.calls++;
			return "ran";
		}

		public int calls() {
			return this.calls;
		}

	}

	interface Report {

		String run();

	}

	static class LeaderReport implements Report {

		@Override
		@LeaderOnly
		public String run() {
			return "ran";
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ReportConfiguration {

		@Bean
		LeaderReport leaderReport() {
			return new LeaderReport();
		}

	}

	interface AnnotatedTask {

		@LeaderOnly
		String run();

	}

	static class AnnotatedTaskImpl implements AnnotatedTask {

		@Override
		public String run() {
			return "ran";
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class AnnotatedInterfaceConfiguration {

		@Bean
		AnnotatedTaskImpl annotatedTask() {
			return new AnnotatedTaskImpl();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class LeadingElectionsConfiguration {

		@Bean
		LeaderElections userElections() {
			return new LeadingElections();
		}

	}

	/**
	 * Elections of the application's own in which this instance always leads, with token 7.
	 */
	static class LeadingElections implements LeaderElections {

		private final Map<String, LeaderElection> elections = new ConcurrentHashMap<>();

		@Override
		public LeaderElection election(String name) {
			return this.elections.computeIfAbsent(name, LeadingElection::new);
		}

		@Override
		public Collection<LeaderElection> elections() {
			return List.copyOf(this.elections.values());
		}

		final List<LeadershipListener> added = new CopyOnWriteArrayList<>();

		@Override
		public void addListener(LeadershipListener listener) {
			this.added.add(listener);
		}

		@Override
		public void removeListener(LeadershipListener listener) {
			this.added.remove(listener);
		}

	}

	record LeadingElection(String name) implements LeaderElection {

		@Override
		public boolean isLeader() {
			return true;
		}

		@Override
		public Optional<LeaderTerm> currentTerm() {
			return Optional.of(new LeaderTerm(this.name, 7, 42, "/elections/" + this.name + "/2a", Instant.EPOCH));
		}

		@Override
		public OptionalLong fencingToken() {
			return OptionalLong.of(7);
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			throw new UnsupportedOperationException();
		}

		@Override
		public Optional<Candidate> leader() {
			return Optional.of(new Candidate("me", "127.0.0.1", 8080, Map.of(), 7));
		}

		@Override
		public boolean awaitLeadership(Duration timeout) {
			return true;
		}

		@Override
		public void resign() {
		}

		@Override
		public void addListener(LeadershipListener listener) {
		}

		@Override
		public void removeListener(LeadershipListener listener) {
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class RecordingElectionsConfiguration {

		@Bean
		RecordingElections recordingElections(EtcdTemplate etcdTemplate, EtcdSession session, LocalInstance localInstance,
				CoordinationEvents events, RetryPolicy retryPolicy) {
			return new RecordingElections(etcdTemplate, session, localInstance, events, retryPolicy);
		}

	}

	/**
	 * The real elections, recording which listeners of every election the application added.
	 */
	static class RecordingElections extends EtcdLeaderElections {

		final List<LeadershipListener> added = new CopyOnWriteArrayList<>();

		RecordingElections(EtcdTemplate etcdTemplate, EtcdSession session, LocalInstance localInstance,
				CoordinationEvents events, RetryPolicy retryPolicy) {
			super(etcdTemplate, session, "/elections", localInstance::identity, ElectionMetrics.NONE, (name) -> true,
					events, retryPolicy, WatchProgress.off());
		}

		@Override
		public void addListener(LeadershipListener listener) {
			this.added.add(listener);
			super.addListener(listener);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class LeadershipListenersConfiguration {

		@Bean
		@Order(2)
		LeadershipListener secondLeadershipListener() {
			return new LeadershipListener() {
			};
		}

		@Bean
		@Order(1)
		LeadershipListener firstLeadershipListener(LeaderElections elections) {
			// depends on the elections it listens to: registered once every bean exists
			return new LeadershipListener() {
			};
		}

	}

}
