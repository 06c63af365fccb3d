package dev.coordination.it.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.coordination.config.ConfigChangedEvent.Change;
import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.it.config.EtcdConfigRefreshIntegrationTests.Events;
import dev.coordination.it.config.EtcdConfigRefreshIntegrationTests.GreetingProperties;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The configuration from etcd across faults of a real 3-member cluster: the application talks to
 * member 0 only, another client writes through member 1.
 */
class EtcdConfigFaultTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().members(3).requireLaunched().build());

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	@AfterEach
	void leaveEtcdRunningWithoutConfiguration() throws Exception {
		this.applications.forEach(ConfigurableApplicationContext::close);
		etcd.cluster().restore(Duration.ofSeconds(15));
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/config/"), DeleteOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
	}

	@Test
	void changesWhileTheMemberIsDownAndCompactedAwayAreNeitherLostNorRepeatedAndStaleShowsInHealth() throws Exception {
		try (Client other = Client.builder().endpoints(etcd.cluster().member(1).clientEndpoint()).build()) {
			put(other, "/config/orders/greeting/message", "one");
			put(other, "/config/orders/greeting/timeout", "1");
			ConfigurableApplicationContext context = start(false);
			GreetingProperties properties = context.getBean(GreetingProperties.class);
			Events events = context.getBean(Events.class);
			HealthIndicator health = context.getBean("etcdConfigHealthIndicator", HealthIndicator.class);
			assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);
			put(other, "/config/orders/greeting/message", "two");
			await().atMost(Duration.ofSeconds(1)).until(() -> "two".equals(properties.getMessage()));

			etcd.cluster().member(0).stop();
			// cut off: the last values stay, and health says since when they are stale
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				Health stale = health.health(true);
				assertThat(stale.getStatus()).isEqualTo(Status.UNKNOWN);
				assertThat(stale.getDetails()).containsEntry("state", "stale").containsKey("staleFor");
			});
			assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("two");
			long before = context.getBean(EtcdConfigState.class).revision();
			assertThat(health.health(true).getDetails()).containsEntry("revision", before);
			put(other, "/config/orders/greeting/message", "three");
			put(other, "/config/orders/greeting/message", "four");
			other.getKVClient().delete(EtcdKeys.bytes("/config/orders/greeting/timeout")).get(5, TimeUnit.SECONDS);
			long revision = other.getKVClient().get(EtcdKeys.bytes("/")).get(5, TimeUnit.SECONDS).getHeader()
				.getRevision();
			other.getKVClient().compact(revision).get(5, TimeUnit.SECONDS);
			etcd.cluster().member(0).start();

			await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
				assertThat(properties.getMessage()).isEqualTo("four");
				assertThat(properties.getTimeout()).isEqualTo(30);
				assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);
			});
			assertThat(context.getBean(EtcdConfigState.class).revision()).isGreaterThanOrEqualTo(revision);
			// no update lost, none applied twice: one change to "two", one from "two" to "four"; the events
			// come on the event thread, after the beans changed
			await().atMost(Duration.ofSeconds(1)).until(() -> events.changes().size() >= 2);
			assertThat(events.changes()).containsExactly(Map.of("greeting.message", new Change("one", "two")),
					Map.of("greeting.message", new Change("two", "four"), "greeting.timeout", new Change("1", null)));
			// and it watches again
			put(other, "/config/orders/greeting/message", "five");
			await().atMost(Duration.ofSeconds(1)).until(() -> "five".equals(properties.getMessage()));
			await().atMost(Duration.ofSeconds(1)).until(() -> events.changes().size() >= 3);
			assertThat(events.changes()).hasSize(3);
		}
	}

	@Test
	void aChangeMadeAsSoonAsTheMemberAnswersAfterALongOutageArrivesWithinOneSecond() throws Exception {
		try (Client other = Client.builder().endpoints(etcd.cluster().member(1).clientEndpoint()).build()) {
			put(other, "/config/orders/greeting/message", "one");
			ConfigurableApplicationContext context = start(false);
			GreetingProperties properties = context.getBean(GreetingProperties.class);
			etcd.cluster().member(0).stop();
			// long enough for gRPC's reconnect backoff (1 s, then 1.6 times longer each time) to reach
			// several seconds
			TimeUnit.SECONDS.sleep(12);
			etcd.cluster().member(0).start();
			try (Client member0 = Client.builder().endpoints(etcd.cluster().member(0).clientEndpoint()).build()) {
				await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
					.until(() -> member0.getKVClient().get(EtcdKeys.bytes("/config/")).get(1, TimeUnit.SECONDS) != null);
			}
			put(other, "/config/orders/greeting/message", "after the outage");
			await().atMost(Duration.ofSeconds(1)).until(() -> "after the outage".equals(properties.getMessage()));
		}
	}

	@Test
	void aFrozenMemberMakesTheHealthStaleWithinTwoProgressRequestsWhereEtcdAnswersThemInOrder() throws Exception {
		put(etcd.client(), "/config/orders/greeting/message", "one");
		ConfigurableApplicationContext context = start(false, "--coordination.etcd.watch.progress-interval=300ms");
		HealthIndicator health = context.getBean("etcdConfigHealthIndicator", HealthIndicator.class);
		assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);
		URI member = etcd.cluster().member(0).clientEndpoint();
		String version = etcd.client().getMaintenanceClient().statusMember(member.getHost() + ":" + member.getPort())
			.get(5, TimeUnit.SECONDS)
			.getVersion();
		boolean answersInOrder = WatchProgress.answersInOrder(version);
		// SIGSTOP: the connection stays open, nothing answers
		etcd.cluster().member(0).pause();
		if (answersInOrder) {
			// etcd 3.4.31+ / 3.5.13+: two unanswered progress requests, not gRPC's keep-alive (40 s)
			await().atMost(Duration.ofSeconds(3))
				.untilAsserted(() -> assertThat(health.health(true).getDetails()).containsEntry("state", "stale"));
			etcd.cluster().member(0).resume();
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(health.health(true).getStatus()).isEqualTo(Status.UP));
		}
		else {
			// older etcd is never asked: the silence goes unnoticed until gRPC's keep-alive
			await().during(Duration.ofSeconds(2))
				.atMost(Duration.ofSeconds(3))
				.untilAsserted(() -> assertThat(health.health(true).getStatus()).isEqualTo(Status.UP));
			etcd.cluster().member(0).resume();
		}
	}

	@Test
	void anOptionalImportStartsWithoutEtcdAndAttachesItOnceItAnswers() throws Exception {
		try (Client other = Client.builder().endpoints(etcd.cluster().member(1).clientEndpoint()).build()) {
			put(other, "/config/orders/greeting/message", "from etcd");
			etcd.cluster().member(0).stop();
			ConfigurableApplicationContext context = start(true);
			GreetingProperties properties = context.getBean(GreetingProperties.class);
			HealthIndicator health = context.getBean("etcdConfigHealthIndicator", HealthIndicator.class);
			assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("from application.properties");
			assertThat(health.health(true).getDetails()).containsEntry("state", "waiting");
			etcd.cluster().member(0).start();
			await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
				assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("from etcd");
				assertThat(properties.getMessage()).isEqualTo("from etcd");
				assertThat(health.health(true).getDetails()).containsEntry("state", "live");
			});
			put(other, "/config/orders/greeting/message", "live");
			await().atMost(Duration.ofSeconds(1)).until(() -> "live".equals(properties.getMessage()));
		}
	}

	private static void put(Client client, String key, String value) throws Exception {
		client.getKVClient().put(EtcdKeys.bytes(key), EtcdKeys.bytes(value)).get(5, TimeUnit.SECONDS);
	}

	private ConfigurableApplicationContext start(boolean optional, String... args) {
		List<String> arguments = new ArrayList<>(List.of("--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--coordination.etcd.endpoints=" + etcd.cluster().member(0).clientEndpoint(),
				"--coordination.etcd.connect-timeout=1s", "--coordination.etcd.request-timeout=1s",
				"--spring.application.name=orders", "--spring.config.import=" + (optional ? "optional:etcd:" : "etcd:")));
		arguments.addAll(List.of(args));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(
				EtcdConfigRefreshIntegrationTests.Application.class)
			.properties("greeting.message=from application.properties")
			.run(arguments.toArray(String[]::new));
		this.applications.add(context);
		return context;
	}

}
