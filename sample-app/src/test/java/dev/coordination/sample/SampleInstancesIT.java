package dev.coordination.sample;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.web.client.RestClientException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three instances of the sample application as separate JVMs against one real etcd, as the demo
 * runs them: one leads and the others name it, they see each other, a configuration change reaches
 * all of them, the locked endpoint never runs on two at once, the shards of the invoices are
 * spread over the three, and when the leader stops another takes over and the survivors share its
 * shards.
 */
class SampleInstancesIT {

	private static final Pattern OWNED = Pattern.compile("I own (?:none|\\d+) of the 8 invoices shards(?:: ([\\d, ]+))?\\.");

	private static EtcdCluster etcd;

	private static Client client;

	private static final List<SampleInstance> instances = new ArrayList<>();

	@BeforeAll
	static void startEtcdAndThreeInstances() {
		etcd = Etcd.start();
		client = etcd.newClient();
		for (String name : List.of("one", "two", "three")) {
			instances.add(SampleInstance.start(name, etcd.endpointsAsString()));
		}
		for (SampleInstance instance : instances) {
			await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptionsInstanceOf(RestClientException.class).until(() -> {
				assertThat(instance.isAlive()).as("%s is running, see its log", instance).isTrue();
				return instance.get("/").startsWith("I am sample-app on port " + instance.port());
			});
		}
	}

	@AfterAll
	static void stopEverything() {
		instances.parallelStream().forEach(SampleInstance::destroy);
		if (client != null) {
			client.close();
		}
		if (etcd != null) {
			etcd.close();
		}
	}

	@Test
	@SuppressWarnings("unchecked")
	void threeInstancesCoordinate() throws Exception {
		// one leader, named by the others
		SampleInstance leader = awaitOneLeader(instances);
		for (SampleInstance follower : others(leader, instances)) {
			await().ignoreExceptionsInstanceOf(RestClientException.class).atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(follower.get("/"))
				.contains("I am a follower and the leader is at 127.0.0.1:" + leader.port() + "."));
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> leader.log().contains("Leader job ran under fencing token"));
		// the @LeaderOnly job runs every second on the leader only
		for (SampleInstance follower : others(leader, instances)) {
			assertThat(follower.log()).doesNotContain("Leader job ran");
		}
		// what the coordination endpoint of a follower shows
		SampleInstance watcher = others(leader, instances).get(0);
		Map<String, Object> coordination = watcher.rest().get().uri("/actuator/coordination").retrieve().body(Map.class);
		assertThat((List<Map<String, Object>>) coordination.get("elections")).singleElement()
			.satisfies((election) -> assertThat(election).containsEntry("leading", false)
				.containsEntry("leader", leader.name())
				.containsEntry("leaderAddress", "127.0.0.1:" + leader.port())
				.containsKey("token")
				.doesNotContainKey("since"));

		// the 8 invoices shards spread over the three: 2 or 3 each, every shard owned once
		awaitShardsSpreadOver(instances);

		// each sees the other two as peers, and can call one through the load balancer
		for (SampleInstance instance : instances) {
			await().ignoreExceptionsInstanceOf(RestClientException.class).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				String peers = instance.get("/peers");
				for (SampleInstance other : instances) {
					assertThat(peers).contains("http://127.0.0.1:" + other.port() + " UP");
				}
			});
		}
		assertThat(instances.get(0).get("/peer")).startsWith("Asked sample-app through the load balancer; it answered: I am ");

		// a configuration change in etcd reaches all three
		client.getKVClient()
			.put(EtcdKeys.bytes("/config/sample-app/sample/greeting/message"), EtcdKeys.bytes("Hi from etcd"))
			.get(5, TimeUnit.SECONDS);
		for (SampleInstance instance : instances) {
			await().ignoreExceptionsInstanceOf(RestClientException.class).atMost(Duration.ofSeconds(2))
				.untilAsserted(() -> assertThat(instance.get("/greeting")).startsWith("Hi from etcd (timeout "));
		}

		// the locked endpoint and its asynchronous twin, called at once on all three, never run on two
		// at a time
		ExecutorService callers = Executors.newFixedThreadPool(6);
		try {
			List<Future<String>> answers = new ArrayList<>();
			for (int i = 0; i < 18; i++) {
				SampleInstance instance = instances.get(i % 3);
				String uri = (i % 2 == 0) ? "/orders/42" : "/orders/42/async";
				answers.add(callers.submit((Callable<String>) () -> instance.rest()
					.post()
					.uri(uri)
					.retrieve()
					.body(String.class)));
			}
			for (Future<String> answer : answers) {
				assertThat(answer.get(60, TimeUnit.SECONDS)).startsWith("Order 42 processed ")
					.doesNotContain("OVERLAP")
					.doesNotContain("write rejected");
			}
		}
		finally {
			callers.shutdownNow();
		}
		assertThat(EtcdKeys.string(client.getKVClient()
			.get(EtcdKeys.bytes("/sample/orders/42/runs"))
			.get(5, TimeUnit.SECONDS)
			.getKvs()
			.get(0)
			.getValue())).isEqualTo("18");

		// the leader stops (SIGTERM, as Ctrl+C): another takes over, and the survivors see two peers
		Map<SampleInstance, Integer> logsBefore = new HashMap<>();
		others(leader, instances).forEach((instance) -> logsBefore.put(instance, instance.log().length()));
		assertThat(leader.terminate(Duration.ofSeconds(30))).isIn(0, 130, 143);
		List<SampleInstance> survivors = others(leader, instances);
		SampleInstance next = awaitOneLeader(survivors);
		SampleInstance follower = others(next, survivors).get(0);
		await().ignoreExceptionsInstanceOf(RestClientException.class).atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(follower.get("/"))
			.contains("the leader is at 127.0.0.1:" + next.port() + "."));
		await().ignoreExceptionsInstanceOf(RestClientException.class).atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(follower.get("/peers")).doesNotContain(":" + leader.port() + " "));
		// the follower logs who leads now
		await().atMost(Duration.ofSeconds(5)).until(() -> follower.log()
			.contains("Election 'default' is now led by " + next.name() + " at 127.0.0.1:" + next.port()));
		// the new leader says so in its log and runs the job from then on
		await().atMost(Duration.ofSeconds(5)).until(() -> next.log().contains("Leadership of 'default' granted")
				&& next.log().contains("Leader job ran under fencing token"));
		assertThat(follower.log()).doesNotContain("Leader job ran");

		// the stopped instance gave its shards up on its way out, and the survivors took them: 4 each
		assertThat(leader.log()).contains("of 'invoices' revoked (SHUTDOWN)");
		awaitShardsSpreadOver(survivors);
		for (SampleInstance survivor : survivors) {
			assertThat(survivor.log().substring(logsBefore.get(survivor))).contains("of 'invoices' assigned, tokens ");
		}
	}

	/**
	 * Wait until {@code GET /} of the instances shows every one of the 8 shards owned by exactly one of
	 * them, each owning {@code floor(8/k)} or {@code ceil(8/k)}.
	 */
	private static void awaitShardsSpreadOver(List<SampleInstance> owners) {
		int fewest = 8 / owners.size();
		int most = (8 + owners.size() - 1) / owners.size();
		await().ignoreExceptionsInstanceOf(RestClientException.class).atMost(Duration.ofSeconds(15))
			.pollInterval(Duration.ofMillis(200))
			.untilAsserted(() -> {
				List<Integer> all = new ArrayList<>();
				for (SampleInstance owner : owners) {
					List<Integer> owned = ownedShards(owner.get("/"));
					assertThat(owned).as("shards of %s", owner).hasSizeBetween(fewest, most);
					all.addAll(owned);
				}
				assertThat(all).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
			});
	}

	private static List<Integer> ownedShards(String root) {
		Matcher matcher = OWNED.matcher(root);
		assertThat(matcher.find()).as("GET / names the shards owned: %s", root).isTrue();
		if (matcher.group(1) == null) {
			return List.of();
		}
		return Arrays.stream(matcher.group(1).split(", ")).map(Integer::valueOf).toList();
	}

	private static SampleInstance awaitOneLeader(List<SampleInstance> candidates) {
		return await().ignoreExceptionsInstanceOf(RestClientException.class).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
			List<SampleInstance> leaders = candidates.stream()
				.filter((instance) -> instance.get("/").contains("I am the leader"))
				.toList();
			assertThat(leaders).as("instances that say they lead").hasSizeLessThanOrEqualTo(1);
			return leaders.isEmpty() ? null : leaders.get(0);
		}, (found) -> found != null);
	}

	private static List<SampleInstance> others(SampleInstance one, List<SampleInstance> all) {
		return all.stream().filter((instance) -> instance != one).toList();
	}

}
