package dev.coordination.it.actuate;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.coordination.actuate.internal.CoordinationEndpoint;
import dev.coordination.actuate.internal.CoordinationEndpoint.Workload;
import dev.coordination.autoconfigure.actuate.CoordinationEndpointAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.shard.ShardHealthContributorAutoConfiguration;
import dev.coordination.autoconfigure.shard.ShardingAutoConfiguration;
import dev.coordination.etcd.internal.CoordinationMeterNames;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;
import dev.coordination.shard.internal.EtcdShardedWorkloads;
import dev.coordination.shard.internal.ShardsHealthContributor;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sharded workloads as operators see them, against a real etcd: the meters, the {@code shards}
 * health component (in the {@code coordination} group) and the {@code shards} section of
 * {@code /actuator/coordination}, for an instance owning every shard, two sharing them, and an
 * instance with another shard count that stands aside until the count in force is its own.
 */
class ShardObservabilityIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private static final Duration OWNED_WITHIN = Duration.ofSeconds(15);

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ShardingAutoConfiguration.class, ShardHealthContributorAutoConfiguration.class,
				CoordinationEndpointAutoConfiguration.class))
		.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.instance.host=127.0.0.1",
				"management.endpoints.web.exposure.include=coordination", "coordination.shards.orders.settle-delay=0s");

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final JsonMapper json = JsonMapper.builder().build();

	private ConfigurableApplicationContext application;

	@AfterEach
	void stop() {
		if (this.application != null) {
			this.application.close();
		}
	}

	private ApplicationContextRunner instance(String prefix, String id, int count) {
		return this.contextRunner.withPropertyValues("coordination.etcd.sharding.prefix=" + prefix,
				"coordination.etcd.instance.id=" + id, "coordination.shards.orders.count=" + count);
	}

	@Test
	void anInstanceOwningEveryShardShowsThemInMetricsHealthAndEndpointAndCountsThemRevokedAtShutdown() {
		instance("/shards-alone", "a", 8).run((a) -> {
			ShardedWorkload orders = orders(a);
			await().atMost(OWNED_WITHIN).until(() -> orders.ownedShards().size() == 8);
			MeterRegistry meters = a.getBean(MeterRegistry.class);
			assertThat(meters.get(CoordinationMeterNames.SHARD_OWNED).tag("workload", "orders").gauge().value())
				.isEqualTo(8);
			assertThat(meters.get(CoordinationMeterNames.SHARD_UNOWNED).tag("workload", "orders").timer().count())
				.isEqualTo(8);
			// the first membership is not a rebalance, and nothing was given up
			assertThat(meters.find(CoordinationMeterNames.SHARD_REBALANCES).counter()).isNull();
			assertThat(meters.find(CoordinationMeterNames.SHARD_REVOCATIONS).counter()).isNull();

			Health health = health(a);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("count", 8)
				.containsEntry("owned", List.of(0, 1, 2, 3, 4, 5, 6, 7))
				.containsEntry("members", List.of("a"))
				.containsEntry("settled", List.of("a"))
				.containsEntry("unowned", List.of())
				.doesNotContainKey("standingAside");

			Workload shown = shown(a);
			assertThat(shown.count()).isEqualTo(8);
			assertThat(shown.weight()).isEqualTo(1);
			assertThat(shown.settleDelay()).isEqualTo("PT0S");
			assertThat(shown.owned()).hasSize(8).allSatisfy((owned) -> assertThat(owned.token())
				.isEqualTo(orders.fencingToken(owned.shard()).getAsLong()));
			assertThat(shown.owners()).isEqualTo(allOwnedBy("a", 8));
			assertThat(shown.members()).singleElement().satisfies((member) -> {
				assertThat(member.instanceId()).isEqualTo("a");
				assertThat(member.weight()).isEqualTo(1);
				assertThat(member.count()).isEqualTo(8);
			});
			assertThat(shown.standingAside()).isNull();

			a.getBean(EtcdShardedWorkloads.class).stop();
			assertThat(meters.get(CoordinationMeterNames.SHARD_REVOCATIONS)
				.tags("workload", "orders", "reason", "shutdown")
				.counter()
				.count()).isEqualTo(8);
			assertThat(meters.get(CoordinationMeterNames.SHARD_OWNED).tag("workload", "orders").gauge().value())
				.isZero();
		});
	}

	@Test
	void aJoinIsOneRebalanceForTheOwnerWhichGivesUpHalfTheShardsThatTheNewcomerTakes() {
		instance("/shards-pair", "a", 8).run((a) -> {
			ShardedWorkload onA = orders(a);
			await().atMost(OWNED_WITHIN).until(() -> onA.ownedShards().size() == 8);
			instance("/shards-pair", "b", 8).run((b) -> {
				ShardedWorkload onB = orders(b);
				await().atMost(OWNED_WITHIN)
					.until(() -> onA.ownedShards().size() == 4 && onB.ownedShards().size() == 4);
				MeterRegistry metersA = a.getBean(MeterRegistry.class);
				MeterRegistry metersB = b.getBean(MeterRegistry.class);
				assertThat(metersA.get(CoordinationMeterNames.SHARD_REBALANCES).tag("workload", "orders").counter().count())
					.isEqualTo(1);
				assertThat(metersA.get(CoordinationMeterNames.SHARD_REVOCATIONS)
					.tags("workload", "orders", "reason", "rebalanced")
					.counter()
					.count()).isEqualTo(4);
				assertThat(metersA.get(CoordinationMeterNames.SHARD_OWNED).tag("workload", "orders").gauge().value())
					.isEqualTo(4);
				assertThat(metersB.get(CoordinationMeterNames.SHARD_OWNED).tag("workload", "orders").gauge().value())
					.isEqualTo(4);
				// b took the 4 shards a gave up: each had been without an owner for a while
				assertThat(metersB.get(CoordinationMeterNames.SHARD_UNOWNED).tag("workload", "orders").timer().count())
					.isEqualTo(4);
				assertThat(metersB.get(CoordinationMeterNames.SHARD_UNOWNED).tag("workload", "orders").timer()
					.totalTime(TimeUnit.NANOSECONDS))
					.isPositive();

				await().atMost(OWNED_WITHIN).untilAsserted(() -> {
					Map<Integer, String> expected = new TreeMap<>();
					onA.ownedShards().forEach((shard) -> expected.put(shard, "a"));
					onB.ownedShards().forEach((shard) -> expected.put(shard, "b"));
					assertThat(shown(a).owners()).isEqualTo(expected);
					assertThat(shown(b).owners()).isEqualTo(expected);
				});
				assertThat(shown(a).members()).extracting(CoordinationEndpoint.Member::instanceId)
					.containsExactly("a", "b");
				assertThat(health(b).getDetails()).containsEntry("owned", new ArrayList<>(onB.ownedShards()))
					.containsEntry("members", List.of("a", "b"))
					.containsEntry("settled", List.of("a", "b"))
					.containsEntry("unowned", List.of());
			});
		});
	}

	@Test
	void anInstanceWithAnotherCountStandsAsideShownInHealthAndEndpointUntilTheCountInForceIsItsOwn() {
		instance("/shards-counts", "a", 8).run((a) -> {
			ShardedWorkload onA = orders(a);
			await().atMost(OWNED_WITHIN).until(() -> onA.ownedShards().size() == 8);
			instance("/shards-counts", "b", 16).run((b) -> {
				ShardedWorkload onB = orders(b);
				// b stands aside as soon as it sees a, perhaps before its view shows its own member key
				await().atMost(OWNED_WITHIN)
					.until(() -> health(b).getStatus().equals(Status.UNKNOWN)
							&& health(b).getDetails().get("members").equals(List.of("a", "b")));
				String reason = "coordination.shards.orders.count is 16 here, but 8 shards are in force (instance a)";
				Health aside = health(b);
				assertThat(aside.getDetails()).containsEntry("standingAside", reason)
					.containsEntry("count", 16)
					.containsEntry("owned", List.of())
					.containsEntry("members", List.of("a", "b"))
					.containsEntry("unowned", IntStream.range(8, 16).boxed().toList());
				assertThat(shown(b).standingAside()).isEqualTo(reason);
				assertThat(shown(b).owned()).isEmpty();
				// b sees a own the 8 shards in force; a keeps them, b is no member of its assignment
				assertThat(shown(b).owners()).isEqualTo(allOwnedBy("a", 8));
				assertThat(onB.ownedShards()).isEmpty();
				assertThat(onA.ownedShards()).hasSize(8);
				await().atMost(OWNED_WITHIN)
					.until(() -> health(a).getDetails().get("members"), (members) -> members.equals(List.of("a", "b")));
				assertThat(health(a).getStatus()).isEqualTo(Status.UP);
				assertThat(health(a).getDetails()).containsEntry("settled", List.of("a"));
				assertThat(b.getBean(MeterRegistry.class)
					.get(CoordinationMeterNames.SHARD_OWNED)
					.tag("workload", "orders")
					.gauge()
					.value()).isZero();

				// once every instance with 8 shards has stopped, 16 are in force: b's
				a.getBean(EtcdShardedWorkloads.class).stop();
				await().atMost(OWNED_WITHIN).until(() -> onB.ownedShards().size() == 16);
				Health taking = health(b);
				assertThat(taking.getStatus()).isEqualTo(Status.UP);
				assertThat(taking.getDetails()).doesNotContainKey("standingAside")
					.containsEntry("owned", IntStream.range(0, 16).boxed().toList());
				assertThat(shown(b).standingAside()).isNull();
			});
		});
	}

	@Test
	void endpointAndCoordinationHealthGroupShowTheWorkloadAsJson() throws Exception {
		this.application = new SpringApplicationBuilder(ShardedApplication.class).run("--spring.main.banner-mode=off",
				"--spring.application.name=sharded", "--server.port=0",
				"--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"--coordination.etcd.instance.host=127.0.0.1", "--coordination.etcd.instance.id=sharded-1",
				"--coordination.etcd.sharding.prefix=/shards-json", "--coordination.shards.orders.count=8",
				"--coordination.shards.orders.settle-delay=0s",
				"--management.endpoints.web.exposure.include=health,coordination",
				"--management.endpoint.health.show-details=always");
		ShardedWorkload orders = this.application.getBean(ShardedWorkloads.class).workload("orders");
		await().atMost(OWNED_WITHIN).until(() -> orders.ownedShards().size() == 8);
		String base = "http://127.0.0.1:" + ((WebServerApplicationContext) this.application).getWebServer().getPort()
				+ "/actuator/";

		JsonNode shards = get(base + "coordination").path("shards");
		assertThat(shards.size()).isEqualTo(1);
		JsonNode workload = shards.path(0);
		assertThat(workload.path("name").asString()).isEqualTo("orders");
		assertThat(workload.path("count").asInt()).isEqualTo(8);
		assertThat(workload.path("weight").asInt()).isEqualTo(1);
		assertThat(workload.path("settleDelay").asString()).isEqualTo("PT0S");
		assertThat(workload.path("owned").size()).isEqualTo(8);
		for (JsonNode owned : workload.path("owned")) {
			assertThat(owned.path("token").asLong()).isEqualTo(orders.fencingToken(owned.path("shard").asInt()).getAsLong());
		}
		assertThat(workload.path("owners").propertyNames()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7");
		assertThat(workload.path("owners").path("3").asString()).isEqualTo("sharded-1");
		assertThat(workload.path("members").size()).isEqualTo(1);
		assertThat(workload.path("members").path(0).path("instanceId").asString()).isEqualTo("sharded-1");
		assertThat(workload.path("members").path(0).path("weight").asInt()).isEqualTo(1);
		assertThat(workload.path("members").path(0).path("count").asInt()).isEqualTo(8);
		assertThat(workload.has("standingAside")).isFalse();

		JsonNode component = get(base + "health/coordination").path("components").path("shards").path("components")
			.path("orders");
		assertThat(component.path("status").asString()).isEqualTo("UP");
		assertThat(component.path("details").path("count").asInt()).isEqualTo(8);
		assertThat(component.path("details").path("owned").size()).isEqualTo(8);
		assertThat(component.path("details").path("settled").path(0).asString()).isEqualTo("sharded-1");
		assertThat(component.path("details").path("unowned").size()).isZero();
	}

	private JsonNode get(String uri) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(5)).GET().build();
		HttpResponse<String> response = this.http.send(request, HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(uri).isEqualTo(200);
		return this.json.readTree(response.body());
	}

	private static Map<Integer, String> allOwnedBy(String instanceId, int count) {
		Map<Integer, String> owners = new TreeMap<>();
		IntStream.range(0, count).forEach((shard) -> owners.put(shard, instanceId));
		return owners;
	}

	private static ShardedWorkload orders(AssertableApplicationContext context) {
		return context.getBean(ShardedWorkloads.class).workload("orders");
	}

	private static Health health(AssertableApplicationContext context) {
		HealthIndicator indicator = (HealthIndicator) context.getBean(ShardsHealthContributor.class)
			.getContributor("orders");
		return indicator.health(true);
	}

	private static Workload shown(AssertableApplicationContext context) {
		List<Workload> shards = context.getBean(CoordinationEndpoint.class).coordination().shards();
		assertThat(shards).extracting(Workload::name).containsExactly("orders");
		return shards.get(0);
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class ShardedApplication {

	}

}
