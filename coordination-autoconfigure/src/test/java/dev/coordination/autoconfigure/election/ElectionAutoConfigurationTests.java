package dev.coordination.autoconfigure.election;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

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
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.internal.ElectionMetrics;
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
