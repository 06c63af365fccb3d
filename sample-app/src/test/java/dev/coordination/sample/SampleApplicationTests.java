package dev.coordination.sample;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;
import dev.coordination.shard.internal.ShardContextHolder;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
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

	@AfterAll
	static void forgetEtcd() {
		// the cached application context closes with the JVM; etcd goes with it
		System.clearProperty("coordination.etcd.endpoints");
	}

	@Value("${local.server.port}")
	private int port;

	private RestClient rest() {
		return RestClient.create("http://127.0.0.1:" + this.port);
	}

	@Autowired
	private LeaderElections elections;

	@Autowired
	private ShardedWorkloads workloads;

	@Autowired
	private InvoiceWorker worker;

	@Test
	void rootSaysThisSingleInstanceIsTheLeader() throws InterruptedException {
		assertThat(this.elections.election(LeaderElection.DEFAULT).awaitLeadership(Duration.ofSeconds(15))).isTrue();
		String body = rest().get().uri("/").retrieve().body(String.class);
		assertThat(body).startsWith("I am sample-app on port " + this.port + ". I am the leader (fencing token ");
	}

	@Test
	void rootShowsThatThisSingleInstanceOwnsEveryShardOfTheInvoices() {
		await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(
				rest().get().uri("/").retrieve().body(String.class))
			.startsWith("I am sample-app on port " + this.port + ". ")
			.endsWith(". I own 8 of the 8 invoices shards: 0, 1, 2, 3, 4, 5, 6, 7.\n"));
	}

	@Test
	void theInvoiceWorkerRecordsItsWorkWithAFencedWriteUnderTheShardsToken() throws Throwable {
		ShardedWorkload invoices = this.workloads.workload("invoices");
		await().atMost(Duration.ofSeconds(15)).until(() -> invoices.isOwner(3));
		long token = invoices.fencingToken(3).orElseThrow();
		// as @ShardedBy runs it for shard 3
		ShardContextHolder.with(new ShardContextHolder.Running("invoices", 3, token, () -> invoices.isOwner(3)), () -> {
			this.worker.processInvoices();
			return null;
		});
		try (Client client = etcd.newClient()) {
			assertThat(client.getKVClient().get(EtcdKeys.bytes("/sample/invoices/3")).get().getKvs())
				.singleElement()
				.satisfies((kv) -> assertThat(EtcdKeys.string(kv.getValue()))
					.isEqualTo("processed by the instance on port " + this.port + " under token " + token));
		}
	}

	@Test
	void ordersAreProcessedUnderTheirLockWithGrowingTokens() {
		String first = rest().post().uri("/orders/42").retrieve().body(String.class);
		String second = rest().post().uri("/orders/42").retrieve().body(String.class);
		assertThat(first).startsWith("Order 42 processed by the instance on port " + this.port + " under fencing token ")
			.contains("(run 1)");
		assertThat(token(second)).isGreaterThan(token(first));
		String async = rest().post().uri("/orders/42/async").retrieve().body(String.class);
		assertThat(async).startsWith("Order 42 processed asynchronously by the instance on port " + this.port
				+ " under fencing token ")
			.contains("(run 3)");
		assertThat(token(async)).isGreaterThan(token(second));
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
			.isEqualTo("Hello (timeout 2000 ms, feature flag shout off)\n");
		try (Client client = etcd.newClient()) {
			client.getKVClient().put(EtcdKeys.bytes("/config/sample-app/sample/greeting/message"), EtcdKeys.bytes("Hi there"))
				.get();
			client.getKVClient().put(EtcdKeys.bytes("/config/application/sample/greeting/timeout"), EtcdKeys.bytes("500ms"))
				.get();
			client.getKVClient().put(EtcdKeys.bytes("/flags/shout"), EtcdKeys.bytes("true")).get();
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
					rest().get().uri("/greeting").retrieve().body(String.class))
				.startsWith("HI THERE (timeout 500 ms, feature flag shout on, last changed in etcd at revision "));
			client.getKVClient().delete(EtcdKeys.bytes("/config/"), io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get();
			client.getKVClient().delete(EtcdKeys.bytes("/flags/shout")).get();
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
					rest().get().uri("/greeting").retrieve().body(String.class))
				.startsWith("Hello (timeout 2000 ms, feature flag shout off"));
		}
	}

	@Test
	@SuppressWarnings("unchecked")
	void theCoordinationEndpointShowsSessionElectionsLocksDiscoveryAndConfiguration() throws Exception {
		assertThat(this.elections.election(LeaderElection.DEFAULT).awaitLeadership(Duration.ofSeconds(15))).isTrue();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
				rest().get().uri("/peers").retrieve().body(String.class))
			.contains(":" + this.port + " UP"));
		Map<String, Object> coordination = rest().get().uri("/actuator/coordination").retrieve().body(Map.class);
		Map<String, Object> session = (Map<String, Object>) coordination.get("session");
		assertThat(session).containsEntry("valid", true).containsKeys("leaseId", "ttl", "safetyMargin", "timeLeft");
		assertThat((List<Map<String, Object>>) coordination.get("elections")).singleElement()
			.satisfies((election) -> assertThat(election).containsEntry("name", "default")
				.containsEntry("leading", true)
				.containsEntry("leaderAddress", "127.0.0.1:" + this.port)
				.containsKeys("token", "since"));
		assertThat((List<Object>) coordination.get("locks")).isEmpty();
		Map<String, Object> discovery = (Map<String, Object>) coordination.get("discovery");
		assertThat((Map<String, Object>) discovery.get("registration")).containsEntry("registered", true)
			.containsEntry("serviceId", "sample-app")
			.containsEntry("uri", "http://127.0.0.1:" + this.port)
			.containsEntry("status", "UP");
		assertThat((Map<String, Object>) discovery.get("services")).containsKey("sample-app");
		assertThat((Map<String, Object>) coordination.get("config")).containsEntry("state", "live")
			.containsEntry("contexts", List.of("/config/application/", "/config/sample-app/"));
	}

	@Test
	@SuppressWarnings("unchecked")
	void theCoordinationHealthGroupHasTheStartersComponentsOnly() {
		Map<String, Object> group = rest().get().uri("/actuator/health/coordination").retrieve().body(Map.class);
		assertThat(group).containsEntry("status", "UP");
		assertThat((Map<String, Object>) group.get("components")).containsOnlyKeys("etcd", "coordinationSession",
				"elections", "shards", "discovery", "etcdConfig");
	}

	@Test
	void theLowerLevelPatternsWork() throws Exception {
		assertThat(rest().post().uri("/patterns/counters/visits").retrieve().body(String.class))
			.startsWith("Counter visits = 1 after 1 attempt(s)");
		assertThat(rest().post().uri("/patterns/counters/visits").retrieve().body(String.class))
			.startsWith("Counter visits = 2 after 1 attempt(s)");
		String lease = rest().post().uri("/patterns/leases?ttlSeconds=2").retrieve().body(String.class);
		assertThat(lease).startsWith("Lease ").contains("kept alive");
		String id = lease.split(" ")[1];
		try (Client client = etcd.newClient()) {
			// kept alive: the key outlives the 2 s TTL
			await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5)).until(() -> client.getKVClient()
				.get(EtcdKeys.bytes("/sample/leases/" + id)).get().getKvs().size() == 1);
			long revision = client.getKVClient().put(EtcdKeys.bytes("/sample/watched/a"), EtcdKeys.bytes("1")).get()
				.getHeader().getRevision();
			client.getKVClient().put(EtcdKeys.bytes("/sample/watched/a"), EtcdKeys.bytes("2")).get();
			client.getKVClient().delete(EtcdKeys.bytes("/sample/watched/a")).get();
			assertThat(rest().get().uri("/patterns/watch?prefix=/sample/watched/&fromRevision=" + revision)
				.retrieve().body(String.class))
				.contains("PUT /sample/watched/a = 1 @" + revision, "PUT /sample/watched/a = 2 @" + (revision + 1) + " (was: 1)",
						"DELETE /sample/watched/a @" + (revision + 2) + " (was: 2)");
			assertThat(rest().get().uri("/patterns/leases/" + id).retrieve().body(String.class))
				.startsWith("Lease " + id + ": ").endsWith(" s left of 2 s, keys [/sample/leases/" + id + "]\n");
			assertThat(rest().delete().uri("/patterns/leases/" + id).retrieve().body(String.class)).contains("revoked");
			assertThat(client.getKVClient().get(EtcdKeys.bytes("/sample/leases/" + id)).get().getKvs()).isEmpty();
			assertThat(status(rest().get().uri("/patterns/leases/" + id))).isEqualTo(404);
			assertThat(status(rest().get().uri("/patterns/leases/not-hex"))).isEqualTo(400);
			assertThat(status(rest().delete().uri("/patterns/leases/not-hex"))).isEqualTo(400);
		}
	}

	@Test
	void oneContextsConfigurationIsReadFromCodeAndConverted() throws Exception {
		try (Client client = etcd.newClient()) {
			client.getKVClient().put(EtcdKeys.bytes("/config/reports/report/timeout"), EtcdKeys.bytes("90s")).get();
			client.getKVClient().put(EtcdKeys.bytes("/config/reports/report/pages"), EtcdKeys.bytes("many")).get();
			assertThat(rest().get().uri("/patterns/config/reports?prefix=report").retrieve().body(String.class))
				.isEqualTo("Context reports holds 2 properties under report:\nreport.pages = many\nreport.timeout = 90s\n");
			assertThat(rest().get().uri("/patterns/config/reports/report.timeout?type=java.time.Duration")
				.retrieve().body(String.class)).isEqualTo("reports: report.timeout = PT1M30S (Duration)\n");
			assertThat(rest().get().uri("/patterns/config/reports/report.pages?type=java.lang.Integer")
				.<String>exchange((request, response) -> response.getStatusCode().value() + " "
						+ response.bodyTo(String.class)))
				.startsWith("422 reports: report.pages (key /config/reports/report/pages) holds 'many', which is not a java.lang.Integer");
		}
	}

	@Test
	void concurrentTransfersBetweenTwoKeysNeitherCreateNorLoseMoney() throws Exception {
		assertThat(rest().put().uri("/patterns/accounts/alice?balance=1000").retrieve().body(String.class))
			.isEqualTo("Account alice opened with 1000.\n");
		assertThat(rest().put().uri("/patterns/accounts/bob?balance=1000").retrieve().body(String.class))
			.isEqualTo("Account bob opened with 1000.\n");
		assertThat(status(rest().put().uri("/patterns/accounts/bob?balance=5"))).isEqualTo(409);
		// 40 transfers in both directions at once: each read-compute-write races the others
		ExecutorService callers = Executors.newFixedThreadPool(8);
		try {
			List<Future<String>> transfers = new ArrayList<>();
			for (int i = 0; i < 40; i++) {
				String uri = (i % 2 == 0) ? "/patterns/accounts/alice/transfer?to=bob&amount=7"
						: "/patterns/accounts/bob/transfer?to=alice&amount=3";
				transfers.add(callers.submit(() -> rest().post().uri(uri).retrieve().body(String.class)));
			}
			for (Future<String> transfer : transfers) {
				assertThat(transfer.get(30, TimeUnit.SECONDS)).startsWith("Moved ");
			}
		}
		finally {
			callers.shutdownNow();
		}
		try (Client client = etcd.newClient()) {
			// 20 x 7 one way, 20 x 3 the other: alice -80, bob +80, whatever the interleaving
			assertThat(client.getKVClient().get(EtcdKeys.bytes("/sample/accounts/alice")).get().getKvs().get(0)
				.getValue().toString(StandardCharsets.UTF_8)).isEqualTo("920");
			assertThat(client.getKVClient().get(EtcdKeys.bytes("/sample/accounts/bob")).get().getKvs().get(0)
				.getValue().toString(StandardCharsets.UTF_8)).isEqualTo("1080");
		}
		assertThat(status(rest().post().uri("/patterns/accounts/alice/transfer?to=bob&amount=5000"))).isEqualTo(409);
		assertThat(status(rest().post().uri("/patterns/accounts/alice/transfer?to=carol&amount=1"))).isEqualTo(404);
	}

	private static int status(RestClient.RequestHeadersSpec<?> request) {
		return request.exchange((clientRequest, response) -> response.getStatusCode().value());
	}

	@Test
	void aPeerIsCalledByServiceIdThroughTheLoadBalancer() {
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
				rest().get().uri("/peer").retrieve().body(String.class))
			.startsWith("Asked sample-app through the load balancer; it answered: I am sample-app on port " + this.port));
	}

	private static long token(String answer) {
		return Long.parseLong(answer.replaceAll(".*token ", "").replaceAll(" .*", "").trim());
	}

	@Test
	@SuppressWarnings("unchecked")
	void healthShowsEtcdUp() {
		// the etcd health component answers from a background check: UNKNOWN until its first answer
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
				rest().get().uri("/actuator/health").retrieve().body(Map.class)).containsEntry("status", "UP"));
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
