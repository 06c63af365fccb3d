package dev.coordination.autoconfigure;

import java.util.Optional;

import dev.coordination.autoconfigure.election.DisabledElectionAutoConfiguration;
import dev.coordination.autoconfigure.lock.DisabledLockAutoConfiguration;
import dev.coordination.election.LeaderOnly;
import dev.coordination.etcd.internal.UninterceptedMethodException;
import dev.coordination.lock.DistributedLocked;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests that a {@code @LeaderOnly} or {@code @DistributedLocked} method Spring's proxy cannot
 * intercept fails start-up, with {@link UninterceptedMethodFailureAnalyzer} explaining it, instead of
 * running unguarded.
 */
class UninterceptedMethodTests {

	// the disabled configurations use the same checking post-processors and need no etcd
	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(DisabledElectionAutoConfiguration.class, DisabledLockAutoConfiguration.class))
		.withPropertyValues("coordination.enabled=false");

	@Test
	void privateLeaderOnlyMethodFailsStartup() {
		this.contextRunner.withBean("privateJob", PrivateLeaderOnly.class).run((context) -> {
			assertThat(context).hasFailed();
			UninterceptedMethodException failure = cause(context.getStartupFailure());
			assertThat(failure.getMethod().getName()).isEqualTo("run");
			assertThat(failure).hasMessageContaining("@LeaderOnly method " + PrivateLeaderOnly.class.getName() + ".run()")
				.hasMessageContaining("is private")
				.hasMessageContaining("run on every instance");
			FailureAnalysis analysis = new UninterceptedMethodFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).contains(PrivateLeaderOnly.class.getName() + ".run()")
				.contains("bean 'privateJob'")
				.contains("private");
			assertThat(analysis.getAction()).contains("public");
		});
	}

	@Test
	void staticLeaderOnlyMethodFailsStartup() {
		this.contextRunner.withBean(StaticLeaderOnly.class)
			.run((context) -> assertThat(cause(context.getStartupFailure())).hasMessageContaining("is static"));
	}

	@Test
	void finalDistributedLockedMethodFailsStartup() {
		this.contextRunner.withBean(FinalLocked.class)
			.run((context) -> assertThat(cause(context.getStartupFailure()))
				.hasMessageContaining("@DistributedLocked method " + FinalLocked.class.getName() + ".run()")
				.hasMessageContaining("is final")
				.hasMessageContaining("run without the lock"));
	}

	@Test
	void privateDistributedLockedMethodFailsStartup() {
		this.contextRunner.withBean(PrivateLocked.class)
			.run((context) -> assertThat(cause(context.getStartupFailure())).hasMessageContaining("is private"));
	}

	@Test
	void finalImplementationOfAnInterfaceMethodIsInterceptedByAnInterfaceProxy() {
		this.contextRunner.withPropertyValues("spring.aop.proxy-target-class=false")
			.withBean(FinalInterfaceLocked.class)
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void finalMethodOfAnAnnotatedClassFailsStartupButNotOneItsSuperclassBringsAlong() {
		this.contextRunner.withBean(AnnotatedSubclass.class).run((context) -> assertThat(context).hasNotFailed());
		this.contextRunner.withBean(AnnotatedClassWithFinalMethod.class)
			.run((context) -> assertThat(cause(context.getStartupFailure())).hasMessageContaining("work()")
				.hasMessageContaining("is final"));
	}

	@Test
	void interceptableMethodsAndStaticHelpersOfAnAnnotatedClassStart() {
		this.contextRunner.withBean(Fine.class).withBean(AnnotatedClass.class).run((context) -> {
			assertThat(context).hasNotFailed();
			// guarded: coordination is off, so the call is skipped
			assertThat(context.getBean(Fine.class).leaderOnly()).isEmpty();
			assertThat(AnnotatedClass.helper()).isEqualTo("helper");
		});
	}

	private static UninterceptedMethodException cause(Throwable failure) {
		assertThat(failure).hasRootCauseInstanceOf(UninterceptedMethodException.class);
		Throwable cause = failure;
		while (!(cause instanceof UninterceptedMethodException)) {
			cause = cause.getCause();
		}
		return (UninterceptedMethodException) cause;
	}

	static class PrivateLeaderOnly {

		@LeaderOnly
		private void run() {
		}

		public void caller() {
			run();
		}

	}

	static class StaticLeaderOnly {

		@LeaderOnly
		public static void run() {
		}

	}

	static class FinalLocked {

		@DistributedLocked(key = "'final'")
		public final void run() {
		}

	}

	static class PrivateLocked {

		@DistributedLocked(key = "'private'")
		private void run() {
		}

		public void caller() {
			run();
		}

	}

	interface LockedWork {

		void run();

	}

	static class FinalInterfaceLocked implements LockedWork {

		@Override
		@DistributedLocked(key = "'interface'")
		public final void run() {
		}

	}

	static class Fine {

		@LeaderOnly
		public Optional<String> leaderOnly() {
			return Optional.of("ran");
		}

		@DistributedLocked(key = "'protected'")
		protected void locked() {
		}

	}

	static class FrameworkBase {

		public final String frameworkHelper() {
			return "framework";
		}

	}

	@LeaderOnly
	static class AnnotatedSubclass extends FrameworkBase {

		public void work() {
		}

	}

	@LeaderOnly
	static class AnnotatedClassWithFinalMethod {

		public final void work() {
		}

	}

	@LeaderOnly
	static class AnnotatedClass {

		public static String helper() {
			return "helper";
		}

		public void work() {
		}

	}

}
