package dev.coordination.autoconfigure.shedlock;

import java.util.Optional;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.lock.internal.EtcdShedLockProvider;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import reactor.core.publisher.Mono;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ShedLock auto-configuration without etcd: which {@link LockProvider} the context gets, and the
 * start-up checks of {@code @SchedulerLock} and of {@code @DistributedLocked(holdAtLeast)}.
 */
class ShedLockAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class, ShedLockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void providerOverTheLockRegistryWithShedLockPresent() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(LockProvider.class)
			.hasSingleBean(EtcdShedLockProvider.class));
	}

	@Test
	void noProviderWithShedLockAbsent() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(LockProvider.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean("shedLockProvider"));
	}

	@Test
	void noProviderWithLocksDisabled() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(LockProvider.class));
	}

	@Test
	void backsOffForTheApplicationsProvider() {
		this.contextRunner.withUserConfiguration(OwnProvider.class)
			.run((context) -> assertThat(context).hasSingleBean(LockProvider.class)
				.doesNotHaveBean(EtcdShedLockProvider.class));
	}

	@Test
	void lockAtLeastForLongerThanLockAtMostForFailsStartUpNamingTheMethod() {
		this.contextRunner.withBean(LongerAtLeast.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("@SchedulerLock method " + LongerAtLeast.class.getName() + ".job()")
				.hasStackTraceContaining("lockAtLeastFor '1m' (PT1M) longer than lockAtMostFor '30s' (PT30S)")
				.hasStackTraceContaining("lockAtLeastFor must be at most lockAtMostFor"));
	}

	@Test
	void lockAtLeastForLongerThanTheDefaultLockAtMostForFailsStartUp() {
		this.contextRunner.withUserConfiguration(ShortDefault.class)
			.withBean(AtLeastOnly.class)
			.withPropertyValues("jobs.at-least=PT20S")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("@SchedulerLock method " + AtLeastOnly.class.getName() + ".job()")
				.hasStackTraceContaining("from @EnableSchedulerLock(defaultLockAtMostFor)"));
	}

	@Test
	void consistentSchedulerLocksStart() {
		this.contextRunner.withUserConfiguration(ShortDefault.class)
			.withBean(Consistent.class)
			.withPropertyValues("jobs.at-least=PT5S")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(Consistent.class));
	}

	@Test
	void unparsableHoldAtLeastFailsStartUpNamingTheMethod() {
		this.contextRunner.withBean(BadHoldAtLeast.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining(BadHoldAtLeast.class.getName() + ".process()")
				.hasStackTraceContaining("invalid holdAtLeast 'a while': use a duration such as 30s, 500ms or 0"));
	}

	@Test
	void negativeHoldAtLeastFailsStartUpNamingTheMethod() {
		this.contextRunner.withBean(NegativeHoldAtLeast.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining(NegativeHoldAtLeast.class.getName() + ".process()")
				.hasStackTraceContaining("negative holdAtLeast '-1s': use a duration of 0 or more"));
	}

	@Test
	void holdAtLeastOnAReactiveMethodFailsStartUpNamingTheMethod() {
		this.contextRunner.withBean(ReactiveHoldAtLeast.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining(ReactiveHoldAtLeast.class.getName() + ".process()")
				.hasStackTraceContaining("which reactive types do not support"));
	}

	static class LongerAtLeast {

		@SchedulerLock(name = "job", lockAtMostFor = "30s", lockAtLeastFor = "1m")
		public void job() {
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableSchedulerLock(defaultLockAtMostFor = "10s")
	static class ShortDefault {

	}

	static class AtLeastOnly {

		@SchedulerLock(name = "job", lockAtLeastFor = "${jobs.at-least}")
		public void job() {
		}

	}

	static class Consistent {

		@SchedulerLock(name = "job", lockAtLeastFor = "${jobs.at-least}")
		public void job() {
		}

	}

	static class BadHoldAtLeast {

		@DistributedLocked(key = "'k'", holdAtLeast = "a while")
		public void process() {
		}

	}

	static class NegativeHoldAtLeast {

		@DistributedLocked(key = "'k'", holdAtLeast = "-1s")
		public void process() {
		}

	}

	static class ReactiveHoldAtLeast {

		@DistributedLocked(key = "'k'", holdAtLeast = "1s")
		public Mono<String> process() {
			return Mono.just("done");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OwnProvider {

		@Bean
		LockProvider ownLockProvider() {
			return (configuration) -> Optional.empty();
		}

	}

}
