package dev.coordination.autoconfigure.election;

import java.util.Optional;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderLifecycle;
import dev.coordination.election.LeaderOnly.OnNotLeader;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.internal.EtcdLeaderElections;
import dev.coordination.election.internal.LeaderOnlyAdvisor;
import org.junit.jupiter.api.Test;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

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
	void prefixWithoutLeadingSlashFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.prefix=elections")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.election.prefix"));
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
			assertThat(job.calls).isZero();
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
	void leaderLifecycleBeanThatStartsByItselfIsRejected() {
		this.contextRunner.withUserConfiguration(AutoStartingLifecycleConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("returns true from isAutoStartup()"));
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

		@LeaderOnly
		public String text() {
			this.calls++;
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

}
