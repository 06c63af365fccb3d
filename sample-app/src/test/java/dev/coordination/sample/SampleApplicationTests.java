package dev.coordination.sample;

import java.time.Duration;
import java.util.Map;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import io.etcd.jetcd.Client;
import dev.coordination.etcd.EtcdKeys;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class SampleApplicationTests {

	// started before the application, so that spring.config.import=optional:etcd: reads from it
	private static final EtcdCluster etcd = Etcd.start();

	static {
		System.setProperty("coordination.etcd.endpoints", etcd.endpointsAsString());
	}

	@Value("${local.server.port}")
	private int port;

	private RestClient rest() {
		return RestClient.create("http://127.0.0.1:" + this.port);
	}

	@Autowired
	private LeaderElections elections;

	@Test
	void rootSaysThisSingleInstanceIsTheLeader() throws InterruptedException {
		assertThat(this.elections.election(LeaderElection.DEFAULT).awaitLeadership(Duration.ofSeconds(15))).isTrue();
		String body = rest().get().uri("/").retrieve().body(String.class);
		assertThat(body).startsWith("I am sample-app on port " + this.port + ". I am the leader (fencing token ");
	}

	@Test
	void ordersAreProcessedUnderTheirLockWithGrowingTokens() {
		String first = rest().post().uri("/orders/42").retrieve().body(String.class);
		String second = rest().post().uri("/orders/42").retrieve().body(String.class);
		assertThat(first).startsWith("Order 42 processed under fencing token ");
		assertThat(token(second)).isGreaterThan(token(first));
	}

	@Test
	void peersListsThisInstanceOnceItRegistered() {
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
				rest().get().uri("/peers").retrieve().body(String.class))
			.contains(":" + this.port + " UP"));
	}

	@Test
	void theGreetingAndItsFeatureFlagComeFromEtcdAndChangeLive() throws Exception {
		assertThat(rest().get().uri("/greeting").retrieve().body(String.class))
			.startsWith("Hello (timeout 2000 ms, feature flag shout off, configuration from etcd revision ");
		try (Client client = etcd.newClient()) {
			client.getKVClient().put(EtcdKeys.bytes("/config/sample-app/sample/greeting/message"), EtcdKeys.bytes("Hi there"))
				.get();
			client.getKVClient().put(EtcdKeys.bytes("/config/application/sample/greeting/timeout"), EtcdKeys.bytes("500ms"))
				.get();
			client.getKVClient().put(EtcdKeys.bytes("/flags/shout"), EtcdKeys.bytes("true")).get();
			await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(
					rest().get().uri("/greeting").retrieve().body(String.class))
				.startsWith("HI THERE (timeout 500 ms, feature flag shout on, configuration from etcd revision "));
			client.getKVClient().delete(EtcdKeys.bytes("/config/"), io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get();
			client.getKVClient().delete(EtcdKeys.bytes("/flags/shout")).get();
			await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(
					rest().get().uri("/greeting").retrieve().body(String.class))
				.startsWith("Hello (timeout 2000 ms, feature flag shout off"));
		}
	}

	private static long token(String answer) {
		return Long.parseLong(answer.replaceAll("\\D+$", "").replaceAll(".*token ", ""));
	}

	@Test
	@SuppressWarnings("unchecked")
	void healthShowsEtcdUp() {
		Map<String, Object> health = rest().get().uri("/actuator/health").retrieve().body(Map.class);
		assertThat(health).containsEntry("status", "UP");
		Map<String, Object> etcd = (Map<String, Object>) ((Map<String, Object>) health.get("components")).get("etcd");
		assertThat(etcd).containsEntry("status", "UP");
		assertThat((Map<String, Object>) etcd.get("details")).containsKeys("clusterId", "memberId", "leaderId",
				"raftTerm", "dbSize", "version", "endpoints");
		Map<String, Object> session = (Map<String, Object>) ((Map<String, Object>) health.get("components"))
			.get("coordinationSession");
		assertThat(session).containsEntry("status", "UP");
		assertThat((Map<String, Object>) session.get("details")).containsKeys("leaseId", "ttl", "timeLeft");
		Map<String, Object> elections = (Map<String, Object>) ((Map<String, Object>) health.get("components"))
			.get("elections");
		assertThat(elections).containsEntry("status", "UP").containsKey("components");
	}

}
