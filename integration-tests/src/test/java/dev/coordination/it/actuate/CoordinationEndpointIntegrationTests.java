package dev.coordination.it.actuate;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import dev.coordination.actuate.internal.CoordinationEndpoint.CoordinationDescriptor;
import dev.coordination.actuate.internal.CoordinationEndpoint;
import dev.coordination.autoconfigure.actuate.CoordinationEndpointAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.SpringBootConfiguration;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /actuator/coordination} against a real etcd: what it shows of the capabilities that are
 * on, {@code null} for those that are off, and nothing without exposure; the session's lease as
 * etcd sees it, and what it says when etcd is stopped.
 */
class CoordinationEndpointIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class, CoordinationEndpointAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString());

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final JsonMapper json = JsonMapper.builder().build();

	private ConfigurableApplicationContext application;

	@AfterEach
	void closeTheApplicationAndLeaveEtcdRunning() {
		if (this.application != null) {
			this.application.close();
		}
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void showsTheSessionAndTheLocksHeldAndNullForWhatIsOff() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=coordination")
			.run((context) -> {
				CoordinationEndpoint endpoint = context.getBean(CoordinationEndpoint.class);
				await().atMost(Duration.ofSeconds(5)).until(() -> endpoint.coordination().session().valid());
				DistributedLock lock = context.getBean(DistributedLockRegistry.class).obtain("orders/42");
				lock.lock();
				try {
					CoordinationDescriptor shown = endpoint.coordination();
					assertThat(shown.session().leaseId()).isNotEmpty();
					assertThat(shown.session().ttl()).isEqualTo("PT10S");
					assertThat(shown.locks()).singleElement().satisfies((held) -> {
						assertThat(held.key()).isEqualTo("orders/42");
						assertThat(held.kind()).isEqualTo("LOCK");
						assertThat(held.token()).isEqualTo(lock.fencingToken().getAsLong());
					});
					assertThat(shown.elections()).isNull();
					assertThat(shown.discovery()).isNull();
					assertThat(shown.config()).isNull();
				}
				finally {
					lock.unlock();
				}
				assertThat(endpoint.coordination().locks()).isEmpty();
			});
	}

	@Test
	void showsTheSessionLeaseWithTheKeysOfALockAndTheRegistrationAsJsonAndStillAnswersWhenEtcdIsStopped()
			throws Exception {
		// a TTL long enough for the session to stay valid while etcd is stopped
		this.application = new SpringApplicationBuilder(EndpointApplication.class).run("--spring.main.banner-mode=off",
				"--spring.application.name=orders", "--server.port=0",
				"--coordination.etcd.endpoints=" + etcd.endpointsAsString(), "--coordination.etcd.request-timeout=2s",
				"--coordination.etcd.session.ttl=30s", "--coordination.etcd.instance.host=127.0.0.1",
				"--coordination.etcd.instance.id=orders-1", "--management.endpoints.web.exposure.include=coordination");
		CoordinationSession session = this.application.getBean(CoordinationSession.class);
		EtcdServiceRegistration registration = this.application.getBean(EtcdServiceRegistration.class);
		await().atMost(Duration.ofSeconds(10)).until(() -> session.isValid() && registration.isRegistered());
		ServiceRecord record = registration.registration().orElseThrow();
		String base = "http://127.0.0.1:" + ((WebServerApplicationContext) this.application).getWebServer().getPort()
				+ "/actuator/coordination";
		String leaseHex = EtcdKeys.leaseHex(session.leaseId());
		DistributedLock lock = this.application.getBean(DistributedLockRegistry.class).obtain("orders/42");
		lock.lock();
		try {
			JsonNode shown = get(base).path("session");
			assertThat(shown.path("leaseId").asString()).isEqualTo(leaseHex);
			assertThat(shown.path("ttl").asString()).isEqualTo("PT30S");
			JsonNode lease = shown.path("lease");
			assertThat(lease.has("error")).isFalse();
			assertThat(lease.path("granted").asString()).isEqualTo("PT30S");
			Duration remaining = Duration.parse(lease.path("remaining").asString());
			assertThat(remaining).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(30));
			List<String> keys = new ArrayList<>();
			lease.path("keys").forEach((key) -> keys.add(key.asString()));
			assertThat(keys).contains("/locks/orders%2F42/" + leaseHex, registration.key(record)).isSorted();
			assertThat(lease.path("keyCount").asInt()).isEqualTo(keys.size());
		}
		finally {
			lock.unlock();
		}

		etcd.cluster().member(0).stop();
		JsonNode shown = get(base).path("session");
		// still valid: the session's deadline is up to 30 s away
		assertThat(shown.path("leaseId").asString()).isEqualTo(leaseHex);
		JsonNode lease = shown.path("lease");
		assertThat(lease.path("error").asString()).startsWith("could not read the lease from etcd: ");
		assertThat(lease.has("keys")).isFalse();
		assertThat(lease.has("remaining")).isFalse();
	}

	@Test
	void listsTheFirstHundredKeysOfTheSessionLeaseAndCountsThemAll() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=coordination")
			.run((context) -> {
				CoordinationEndpoint endpoint = context.getBean(CoordinationEndpoint.class);
				CoordinationSession session = context.getBean(CoordinationSession.class);
				await().atMost(Duration.ofSeconds(5)).until(session::isValid);
				EtcdTemplate template = context.getBean(EtcdTemplate.class);
				long lease = session.leaseId();
				IntStream.range(0, 150).forEach((i) -> template.put(String.format("/many/%03d", i), "", lease));

				CoordinationEndpoint.SessionLease shown = endpoint.coordination().session().lease();

				assertThat(shown.keyCount()).isEqualTo(150);
				assertThat(shown.keys()).hasSize(100)
					.containsExactlyElementsOf(IntStream.range(0, 100).mapToObj((i) -> String.format("/many/%03d", i)).toList());
				assertThat(shown.error()).isNull();
			});
	}

	@Test
	void isNotThereWhenNotExposed() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(CoordinationEndpoint.class));
	}

	private JsonNode get(String uri) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).GET().build();
		HttpResponse<String> response = this.http.send(request, HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(uri).isEqualTo(200);
		return this.json.readTree(response.body());
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class EndpointApplication {

	}

}
