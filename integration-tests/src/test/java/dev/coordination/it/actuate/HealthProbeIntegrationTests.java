package dev.coordination.it.actuate;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdHealthContributorAutoConfiguration;
import dev.coordination.election.LeaderElections;
import dev.coordination.etcd.internal.EtcdHealthIndicator;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import dev.coordination.test.proxy.TcpProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /actuator/health} of an application with every health component of the starter (etcd,
 * session, elections, discovery, configuration) answers within a second while etcd is paused
 * (SIGSTOP), with the request timeout longer than that: DOWN (HTTP 503) with the {@code etcd}
 * component DOWN, and UP again once etcd answers. Behind a partition, the {@code etcd} indicator
 * asks etcd at most once per interval however often its health is asked.
 */
class HealthProbeIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	/**
	 * Longer than a probe may take: a health that waits for etcd fails this test.
	 */
	private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

	private static final Duration INTERVAL = Duration.ofSeconds(1);

	private static final Duration PROBE_BOUND = Duration.ofSeconds(1);

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final JsonMapper json = JsonMapper.builder().build();

	private final List<String> slowAnswers = new CopyOnWriteArrayList<>();

	/**
	 * What the application is going through, in the record of slow answers; {@code null} while it
	 * starts, when the first requests also initialise the web stack and are not bounded.
	 */
	private volatile String phase;

	private ConfigurableApplicationContext application;

	@AfterEach
	void stop() {
		etcd.cluster().restore(Duration.ofSeconds(15));
		if (this.application != null) {
			this.application.close();
		}
	}

	@Test
	void healthAnswersWithinASecondWhileEtcdIsPausedThenDownThenUpAgainOnceEtcdAnswers() throws Exception {
		this.application = new SpringApplicationBuilder(ProbedApplication.class).run("--spring.main.banner-mode=off",
				"--spring.application.name=probed", "--server.port=0",
				"--spring.config.import=optional:etcd:",
				"--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"--coordination.etcd.request-timeout=" + REQUEST_TIMEOUT.toMillis() + "ms",
				"--management.health.etcd.interval=" + INTERVAL.toMillis() + "ms",
				"--coordination.etcd.instance.host=127.0.0.1", "--coordination.etcd.instance.id=probed-1",
				"--management.endpoints.web.exposure.include=health",
				"--management.endpoint.health.show-details=always");
		// an election exists once asked for: its health component with it
		this.application.getBean(LeaderElections.class).election("probed");
		URI health = URI.create("http://127.0.0.1:"
				+ ((WebServerApplicationContext) this.application).getWebServer().getPort() + "/actuator/health");
		await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
			JsonNode up = probe(health);
			assertThat(status(up)).isEqualTo("UP");
			assertThat(component(up, "etcd")).isEqualTo("UP");
			assertThat(component(up, "coordinationSession")).isEqualTo("UP");
			assertThat(up.path("components").propertyNames()).contains("elections", "discovery", "etcdConfig");
		});

		this.phase = "etcd paused";
		etcd.cluster().member(0).pause();
		// DOWN within the interval plus the request timeout, every answer within a second
		await().atMost(INTERVAL.plus(REQUEST_TIMEOUT).plusSeconds(2))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> probe(health), (down) -> status(down).equals("DOWN") && component(down, "etcd").equals("DOWN"));
		JsonNode down = probe(health);
		assertThat(down.path("components").path("etcd").path("details").path("error").asString())
			.isEqualTo("etcd did not answer within " + REQUEST_TIMEOUT.toMillis() + " ms");
		// and it stays so, past the session's deadline, each answer still within a second
		await().during(Duration.ofSeconds(10))
			.atMost(Duration.ofSeconds(12))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> probe(health), (stillDown) -> status(stillDown).equals("DOWN"));

		this.phase = "etcd resumed";
		etcd.cluster().member(0).resume();
		await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
			JsonNode up = probe(health);
			assertThat(status(up)).isEqualTo("UP");
			assertThat(component(up, "etcd")).isEqualTo("UP");
		});
		assertThat(this.slowAnswers).as("health answers slower than %s", PROBE_BOUND).isEmpty();
	}

	@Test
	void aPartitionedEtcdIsAskedAtMostOncePerIntervalHoweverOftenHealthIsAsked() throws Exception {
		try (TcpProxy proxy = TcpProxy.start(URI.create(etcd.endpointsAsString().split(",")[0]))) {
			new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, EtcdAutoConfiguration.class,
						EtcdHealthContributorAutoConfiguration.class))
				.withPropertyValues("coordination.etcd.endpoints=" + proxy.endpoint(),
						"coordination.etcd.request-timeout=500ms", "management.health.etcd.interval=1s")
				.run((context) -> {
					EtcdHealthIndicator indicator = context.getBean(EtcdHealthIndicator.class);
					await().atMost(Duration.ofSeconds(5))
						.until(() -> indicator.health().getStatus().equals(Status.UP));
					proxy.blackhole();
					// every status check opens a connection of its own, held open by the black hole
					int before = proxy.connections();
					ExecutorService probes = Executors.newFixedThreadPool(4);
					try {
						long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
						List<Future<Duration>> slowest = new ArrayList<>();
						for (int i = 0; i < 4; i++) {
							slowest.add(probes.submit(() -> probeUntil(indicator, end)));
						}
						for (Future<Duration> probe : slowest) {
							assertThat(probe.get(10, TimeUnit.SECONDS)).isLessThan(PROBE_BOUND);
						}
					}
					finally {
						probes.shutdownNow();
					}
					assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
					// one check at a time, a new one at most once a second: not one per call
					assertThat(proxy.connections() - before).isBetween(1, 5);
					proxy.pass();
					await().atMost(Duration.ofSeconds(20))
						.until(() -> indicator.health().getStatus().equals(Status.UP));
				});
		}
	}

	/**
	 * Ask for the health once a millisecond until {@code end}.
	 * @return the slowest answer
	 */
	private static Duration probeUntil(EtcdHealthIndicator indicator, long end) throws InterruptedException {
		Duration slowest = Duration.ZERO;
		while (System.nanoTime() < end) {
			long start = System.nanoTime();
			indicator.health();
			Duration took = Duration.ofNanos(System.nanoTime() - start);
			slowest = (took.compareTo(slowest) > 0) ? took : slowest;
			TimeUnit.MILLISECONDS.sleep(1);
		}
		return slowest;
	}

	/**
	 * Ask for the health as a probe does, recording an answer slower than {@link #PROBE_BOUND} once
	 * the application has started.
	 */
	private JsonNode probe(URI uri) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT.multipliedBy(2)).GET().build();
		long start = System.nanoTime();
		HttpResponse<String> response = this.http.send(request, HttpResponse.BodyHandlers.ofString());
		Duration took = Duration.ofNanos(System.nanoTime() - start);
		String phase = this.phase;
		if (phase != null && took.compareTo(PROBE_BOUND) > 0) {
			this.slowAnswers.add(phase + ": " + took);
			assertThat(took).as("time to answer %s, %s", uri, phase).isLessThanOrEqualTo(PROBE_BOUND);
		}
		JsonNode body = this.json.readTree(response.body());
		assertThat(response.statusCode()).isEqualTo(status(body).equals("UP") ? 200 : 503);
		return body;
	}

	private static String status(JsonNode health) {
		return health.path("status").asString();
	}

	private static String component(JsonNode health, String name) {
		return health.path("components").path(name).path("status").asString();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class ProbedApplication {

	}

}
