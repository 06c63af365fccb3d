package dev.coordination.it.shedlock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.shedlock.ShedLockAutoConfiguration;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockContext;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three instances (application contexts with their own session) run the same two
 * {@code @Scheduled(cron = "* * * * * *")} jobs, one under {@code @SchedulerLock}, one under
 * {@code @DistributedLocked(holdAtLeast)}, against a real etcd: over 30 ticks each job runs exactly
 * once per tick, on any instance, with a fencing token that grows from one run to the next.
 */
class ScheduledJobsOnThreeInstancesIntegrationTests {

	private static final int TICKS = 30;

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	static final Queue<Run> runs = new ConcurrentLinkedQueue<>();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, LockAutoConfiguration.class, ShedLockAutoConfiguration.class))
		.withUserConfiguration(Jobs.class)
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.session.ttl=3s", "coordination.etcd.session.safety-margin=500ms");

	@Test
	void eachJobRunsExactlyOncePerTickOnOneOfThreeInstances() {
		runs.clear();
		AtomicLong firstTick = new AtomicLong();
		this.contextRunner.withPropertyValues("instance=a").run((a) -> this.contextRunner.withPropertyValues("instance=b")
			.run((b) -> this.contextRunner.withPropertyValues("instance=c").run((c) -> {
				await().atMost(Duration.ofSeconds(10))
					.until(() -> List.of(a, b, c)
						.stream()
						.allMatch((context) -> context.getBean(CoordinationSession.class).isValid()));
				// the first whole tick with all three instances running
				long from = Instant.now().getEpochSecond() + 1;
				firstTick.set(from);
				// ticks from..from+TICKS-1 are over once both jobs ran in the tick after them
				await().atMost(Duration.ofSeconds(TICKS + 15))
					.until(() -> runs.stream()
						.filter((run) -> run.second() >= from + TICKS)
						.map(Run::job)
						.distinct()
						.count() == 2);
			})));
		long from = firstTick.get();
		for (String job : List.of("shedlock", "distributed-locked")) {
			List<Run> ofJob = runs.stream().filter((run) -> run.job().equals(job)).toList();
			Map<Long, List<String>> byTick = ofJob.stream()
				.filter((run) -> run.second() >= from && run.second() < from + TICKS)
				.collect(Collectors.groupingBy(Run::second, TreeMap::new,
						Collectors.mapping(Run::instance, Collectors.toList())));
			List<Long> ticks = new ArrayList<>();
			for (long second = from; second < from + TICKS; second++) {
				ticks.add(second);
			}
			assertThat(byTick.keySet()).as("ticks in which %s ran", job).containsExactlyElementsOf(ticks);
			assertThat(byTick).as("instances that ran %s per tick", job).allSatisfy((tick, instances) -> assertThat(instances).hasSize(1));
			List<Long> tokens = ofJob.stream().map(Run::token).toList();
			assertThat(tokens).as("fencing tokens of %s in run order", job).isSorted().doesNotHaveDuplicates();
			assertThat(ofJob.stream().map(Run::instance).distinct()).as("instances that ran %s", job).isNotEmpty();
		}
	}

	record Run(String job, String instance, long second, long token) {
	}

	@Configuration(proxyBeanMethods = false)
	@EnableScheduling
	@EnableSchedulerLock(defaultLockAtMostFor = "10s")
	static class Jobs {

		@Bean
		Job job(@Value("${instance}") String instance) {
			return new Job(instance);
		}

	}

	static class Job {

		private final String instance;

		Job(String instance) {
			this.instance = instance;
		}

		@Scheduled(cron = "* * * * * *")
		@SchedulerLock(name = "jobs/every-second", lockAtLeastFor = "500ms")
		public void underShedLock() {
			record("shedlock");
		}

		@Scheduled(cron = "* * * * * *")
		@DistributedLocked(key = "'jobs/every-second-too'", waitTime = "0", onTimeout = DistributedLocked.OnTimeout.SKIP,
				holdAtLeast = "500ms")
		public void underDistributedLocked() {
			record("distributed-locked");
		}

		private void record(String job) {
			long token = LockContext.currentToken().orElseThrow();
			runs.add(new Run(job, this.instance, Instant.now().getEpochSecond(), token));
		}

	}

}
