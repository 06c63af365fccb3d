package dev.coordination.it.integration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.integration.IntegrationLeaderAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.core.MessageSource;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.Pollers;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.leader.Context;
import org.springframework.integration.support.MessageBuilder;
import org.springframework.integration.support.SmartLifecycleRoleController;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three instances (application contexts, each with its own client and session) whose Spring
 * Integration endpoints of role "cluster" run on the leader of the etcd election "cluster" only,
 * with no leadership code of their own, against a real etcd.
 */
class IntegrationLeaderIntegrationTests {

	private static final Duration TTL = Duration.ofSeconds(2);

	// how long a role's endpoints take to stop: a successor must not start before they stopped
	private static final Duration SLOW_STOP = Duration.ofMillis(300);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	// what every instance did, in the order it happened: shared by the three contexts of one JVM
	static final List<Event> events = new CopyOnWriteArrayList<>();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ElectionAutoConfiguration.class, IntegrationLeaderAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"coordination.etcd.session.safety-margin=500ms", "coordination.etcd.instance.host=127.0.0.1");

	private ApplicationContextRunner instance(String id, int port, Class<?> configuration) {
		return this.contextRunner.withUserConfiguration(configuration)
			.withPropertyValues("coordination.etcd.instance.id=" + id, "coordination.etcd.instance.port=" + port);
	}

	@BeforeEach
	@AfterEach
	void forgetEvents() {
		events.clear();
	}

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void exactlyOneInstancePollsAndClosingItMovesThePollingToExactlyOneOther() {
		instance("a", 8081, PollingConfiguration.class).run((a) -> instance("b", 8082, PollingConfiguration.class)
			.run((b) -> instance("c", 8083, PollingConfiguration.class).run((c) -> {
				List<AssertableApplicationContext> contexts = List.of(a, b, c);
				await().atMost(Duration.ofSeconds(15)).until(() -> !pollersSince(0).isEmpty());
				String leader = singlePollerDuring(Duration.ofSeconds(1));
				int index = List.of("a", "b", "c").indexOf(leader);
				// the role's leader is the leader of the election of the same name, the one @LeaderOnly("cluster") uses
				assertThat(contexts.stream().map((context) -> election(context, "cluster").isLeader()))
					.containsExactlyElementsOf(List.of(index == 0, index == 1, index == 2));
				for (int i = 0; i < 3; i++) {
					assertThat(contexts.get(i).getBean(SmartLifecycleRoleController.class).allEndpointsRunning("cluster"))
						.as("endpoints of %s running", List.of("a", "b", "c").get(i))
						.isEqualTo(i == index);
				}

				long closing = System.nanoTime();
				contexts.get(index).close();
				long closed = System.nanoTime();
				await().atMost(TTL.plusSeconds(1))
					.until(() -> pollersSince(closing).stream().anyMatch((instance) -> !instance.equals(leader)));
				String successor = singlePollerDuring(Duration.ofSeconds(1));
				assertThat(successor).isNotEqualTo(leader);
				assertThat(pollersSince(closed)).doesNotContain(leader);
				// the former leader's endpoints had stopped before the successor's started
				assertThat(lastPoll(leader)).isLessThan(firstPollSince(successor, closing));
				assertNeverTwoInRoleAtOnce();
			})));
	}

	@Test
	void aLostSessionStopsTheLeadersEndpointsBeforeItsLeaseCouldExpireThenOneInstancePollsAgain() {
		instance("a", 8081, PollingConfiguration.class).run((a) -> instance("b", 8082, PollingConfiguration.class)
			.run((b) -> {
				List<AssertableApplicationContext> contexts = List.of(a, b);
				await().atMost(Duration.ofSeconds(15)).until(() -> !pollersSince(0).isEmpty());
				String leader = singlePollerDuring(Duration.ofSeconds(1));
				SmartLifecycleRoleController leaderRoles = contexts.get(List.of("a", "b").indexOf(leader))
					.getBean(SmartLifecycleRoleController.class);
				long paused = System.nanoTime();
				etcd.cluster().member(0).pause();
				// the lease could expire TTL after the last keep-alive sent, which was before the pause
				await().atMost(TTL).pollInterval(Duration.ofMillis(10))
					.until(() -> leaderRoles.noEndpointsRunning("cluster"));
				assertThat(Duration.ofNanos(System.nanoTime() - paused)).isLessThan(TTL);
				assertThat(events).filteredOn((event) -> event.instance().equals(leader) && event.kind() == Kind.STOPPED)
					.isNotEmpty();
				etcd.cluster().member(0).resume();
				await().atMost(Duration.ofSeconds(15))
					.until(() -> contexts.stream()
						.filter((context) -> context.getBean(SmartLifecycleRoleController.class).allEndpointsRunning("cluster"))
						.count() == 1);
				singlePollerDuring(Duration.ofSeconds(1));
				assertNeverTwoInRoleAtOnce();
			}));
	}

	@Test
	void candidatesAreGrantedWithAWorkingContextAndYieldMovesLeadership() {
		instance("a", 8081, CandidateConfiguration.class).run((a) -> instance("b", 8082, CandidateConfiguration.class)
			.run((b) -> instance("c", 8083, CandidateConfiguration.class).run((c) -> {
				List<RecordingCandidate> candidates = List.of(a, b, c).stream()
					.map((context) -> context.getBean(RecordingCandidate.class))
					.toList();
				await().atMost(Duration.ofSeconds(15))
					.until(() -> candidates.stream().filter((candidate) -> candidate.leading()).count() == 1);
				RecordingCandidate first = candidates.stream().filter(RecordingCandidate::leading).findFirst().orElseThrow();
				Context context = first.granted.get(0);
				assertThat(context.isLeader()).isTrue();
				assertThat(context.getRole()).isEqualTo("batch");
				assertThat(first.grantedWhileLeading).containsExactly(true);
				assertThat(election(List.of(a, b, c).get(candidates.indexOf(first)), "batch").isLeader()).isTrue();

				context.yield();
				await().atMost(Duration.ofSeconds(5))
					.until(() -> candidates.stream().anyMatch((candidate) -> candidate != first && candidate.leading()));
				assertThat(first.revokedWhileLeading).containsExactly(false);
				assertThat(context.isLeader()).isFalse();
				RecordingCandidate second = candidates.stream().filter(RecordingCandidate::leading).findFirst().orElseThrow();
				assertThat(second.granted.get(0).isLeader()).isTrue();
				assertThat(candidates.stream().filter(RecordingCandidate::leading)).hasSize(1);
				// the instance that yielded campaigns again: it is granted once the others yield too
				second.granted.get(0).yield();
				await().atMost(Duration.ofSeconds(5)).until(() -> !second.leading());
				RecordingCandidate third = candidates.stream().filter((candidate) -> candidate != first && candidate != second)
					.findFirst()
					.orElseThrow();
				await().atMost(Duration.ofSeconds(5)).until(third::leading);
				third.granted.get(0).yield();
				await().atMost(Duration.ofSeconds(5)).until(first::leading);
				assertNeverTwoInRoleAtOnce();
			})));
	}

	private static LeaderElection election(AssertableApplicationContext context, String name) {
		return context.getBean(LeaderElections.class).election(name);
	}

	private static Set<String> pollersSince(long nanos) {
		return events.stream()
			.filter((event) -> event.kind() == Kind.POLLED && event.nanos() >= nanos)
			.map(Event::instance)
			.collect(Collectors.toSet());
	}

	private static long lastPoll(String instance) {
		return events.stream()
			.filter((event) -> event.kind() == Kind.POLLED && event.instance().equals(instance))
			.mapToLong(Event::nanos)
			.max()
			.orElseThrow();
	}

	private static long firstPollSince(String instance, long nanos) {
		return events.stream()
			.filter((event) -> event.kind() == Kind.POLLED && event.instance().equals(instance) && event.nanos() >= nanos)
			.mapToLong(Event::nanos)
			.min()
			.orElseThrow();
	}

	/**
	 * Exactly one instance polls during {@code window}: each polls every 100 ms while it runs.
	 */
	private static String singlePollerDuring(Duration window) {
		long from = System.nanoTime();
		await().pollDelay(window).atMost(window.plusSeconds(1)).until(() -> true);
		Set<String> pollers = pollersSince(from);
		assertThat(pollers).as("instances that polled within %s", window).hasSize(1);
		return pollers.iterator().next();
	}

	/**
	 * Replays what happened: no instance started the role's endpoints, or was granted, while
	 * another one's were still running or it was still granted.
	 */
	private static void assertNeverTwoInRoleAtOnce() {
		List<String> inRole = new ArrayList<>();
		for (Event event : events.stream().sorted((x, y) -> Long.compare(x.nanos(), y.nanos())).toList()) {
			if (event.kind() == Kind.STARTED) {
				assertThat(inRole).as("instances in the role when %s started", event.instance()).isEmpty();
				inRole.add(event.instance());
			}
			else if (event.kind() == Kind.STOPPED) {
				inRole.remove(event.instance());
			}
		}
	}

	enum Kind {

		POLLED, STARTED, STOPPED

	}

	record Event(String instance, Kind kind, long nanos) {

		static void record(String instance, Kind kind) {
			events.add(new Event(instance, kind, System.nanoTime()));
		}

	}

	/**
	 * An application with a polled inbound channel adapter in role "cluster" and no leadership code.
	 */
	@Configuration(proxyBeanMethods = false)
	@EnableIntegration
	static class PollingConfiguration {

		@Bean
		IntegrationFlow clusterFlow(@Value("${coordination.etcd.instance.id}") String instance) {
			return IntegrationFlow
				.from((MessageSource<String>) () -> MessageBuilder.withPayload(instance).build(),
						(adapter) -> adapter.id("clusterPoller")
							.role("cluster")
							.autoStartup(false)
							.poller(Pollers.fixedDelay(Duration.ofMillis(100))))
				.handle((message) -> Event.record(instance, Kind.POLLED))
				.get();
		}

		@Bean
		SlowStoppingEndpoint slowStoppingEndpoint(SmartLifecycleRoleController roleController,
				@Value("${coordination.etcd.instance.id}") String instance) {
			SlowStoppingEndpoint endpoint = new SlowStoppingEndpoint(instance);
			roleController.addLifecycleToRole("cluster", endpoint);
			return endpoint;
		}

	}

	/**
	 * Another member of role "cluster" that records when it starts and when it has stopped, and takes
	 * {@link #SLOW_STOP} to stop.
	 */
	static class SlowStoppingEndpoint implements SmartLifecycle {

		private final String instance;

		private volatile boolean running;

		SlowStoppingEndpoint(String instance) {
			this.instance = instance;
		}

		@Override
		public void start() {
			Event.record(this.instance, Kind.STARTED);
			this.running = true;
		}

		@Override
		public void stop() {
			if (!this.running) {
				return;
			}
			// a stop that takes its time (draining work in flight), not a wait for an outcome
			try {
				TimeUnit.MILLISECONDS.sleep(SLOW_STOP.toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			this.running = false;
			Event.record(this.instance, Kind.STOPPED);
		}

		@Override
		public boolean isRunning() {
			return this.running;
		}

		@Override
		public boolean isAutoStartup() {
			return false;
		}

		@Override
		public int getPhase() {
			// stopped by the context only after the elections: on close, the revocation stops it
			return 0;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableIntegration
	static class CandidateConfiguration {

		@Bean
		RecordingCandidate batchCandidate(@Value("${coordination.etcd.instance.id}") String instance) {
			return new RecordingCandidate(instance);
		}

	}

	/**
	 * A candidate of role "batch": records each grant and revocation with the context it came with,
	 * and takes {@link #SLOW_STOP} to stop.
	 */
	static class RecordingCandidate implements Candidate {

		private final String instance;

		final List<Context> granted = new CopyOnWriteArrayList<>();

		final List<Boolean> grantedWhileLeading = new CopyOnWriteArrayList<>();

		final List<Boolean> revokedWhileLeading = new CopyOnWriteArrayList<>();

		private volatile boolean leading;

		RecordingCandidate(String instance) {
			this.instance = instance;
		}

		boolean leading() {
			return this.leading;
		}

		@Override
		public String getRole() {
			return "batch";
		}

		@Override
		public String getId() {
			return this.instance;
		}

		@Override
		public void onGranted(Context context) {
			Event.record(this.instance, Kind.STARTED);
			this.granted.add(0, context);
			this.grantedWhileLeading.add(context.isLeader());
			this.leading = true;
		}

		@Override
		public void onRevoked(Context context) {
			this.leading = false;
			this.revokedWhileLeading.add(context.isLeader());
			// work that takes its time to stop, not a wait for an outcome
			try {
				TimeUnit.MILLISECONDS.sleep(SLOW_STOP.toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			Event.record(this.instance, Kind.STOPPED);
		}

	}

}
