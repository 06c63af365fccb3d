package dev.coordination.it.discovery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.etcd.internal.CoordinationMeterNames;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import org.springframework.cloud.client.discovery.event.HeartbeatEvent;
import org.springframework.cloud.client.serviceregistry.ServiceRegistry;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Service discovery of applications started with {@code SpringApplication} (so they register when
 * ready) against a real etcd.
 */
@ExtendWith(OutputCaptureExtension.class)
class DiscoveryIntegrationTests {

	private static final Duration TTL = Duration.ofSeconds(2);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	@AfterEach
	void closeApplicationsAndLeaveEtcdRunning() throws Exception {
		this.applications.forEach(ConfigurableApplicationContext::close);
		etcd.cluster().restore(Duration.ofSeconds(15));
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/services/"),
				io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS);
	}

	@Test
	void twoApplicationsSeeEachOtherThroughBothDiscoveryClientsAndAGracefulStopShowsAtOnce() {
		ConfigurableApplicationContext a = start("orders", "a", false, "--coordination.etcd.instance.port=8081");
		ConfigurableApplicationContext b = start("orders", "b", false, "--coordination.etcd.instance.port=8082");
		for (ConfigurableApplicationContext context : List.of(a, b)) {
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
					context.getBean(DiscoveryClient.class).getInstances("orders"))
				.extracting(ServiceInstance::getInstanceId)
				.containsExactly("a", "b"));
			assertThat(context.getBean(ReactiveDiscoveryClient.class).getInstances("orders")
				.map(ServiceInstance::getUri)
				.map(Object::toString)
				.collectList()
				.block(Duration.ofSeconds(5))).containsExactly("http://127.0.0.1:8081", "http://127.0.0.1:8082");
			assertThat(context.getBean(DiscoveryClient.class).getServices()).containsExactly("orders");
		}
		List<Object> heartbeats = new java.util.concurrent.CopyOnWriteArrayList<>();
		a.addApplicationListener((org.springframework.context.ApplicationListener<HeartbeatEvent>) (event) -> heartbeats
			.add(event.getValue()));
		MeterRegistry meters = a.getBean(MeterRegistry.class);
		assertThat(meters.get(CoordinationMeterNames.DISCOVERY_INSTANCES).tag("service", "orders").gauge().value())
			.isEqualTo(2);
		assertThat(meters.get(CoordinationMeterNames.DISCOVERY_REGISTRATIONS).tag("outcome", "success").counter()
			.count()).isEqualTo(1);
		ServiceInstance onA = a.getBean(DiscoveryClient.class).getInstances("orders").get(0);
		assertThat(onA.getMetadata()).containsEntry("zone", "zone-a").containsEntry("team", "billing")
			.containsEntry("status", "UP");
		b.close();
		// deregistered on close, not gone with the lease later (TTL 2 s; the latency is in benchmarks)
		await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> assertThat(
				a.getBean(DiscoveryClient.class).getInstances("orders"))
			.extracting(ServiceInstance::getInstanceId)
			.containsExactly("a"));
		// Spring Cloud heard of the change: a heartbeat with the catalog's new revision
		await().atMost(Duration.ofSeconds(2)).until(() -> heartbeats.contains(a.getBean(ServiceDiscovery.class).revision()));
		assertThat(meters.get(CoordinationMeterNames.DISCOVERY_INSTANCES).tag("service", "orders").gauge().value())
			.isEqualTo(1);
	}

	@Test
	void afterEtcdWasPausedLongerThanTheTtlTheRegistrationIsBackOnceEtcdAnswers() {
		ConfigurableApplicationContext a = start("orders", "a", false, "--coordination.etcd.instance.port=8081");
		ConfigurableApplicationContext b = start("orders", "b", false, "--coordination.etcd.instance.port=8082");
		ServiceDiscovery onB = b.getBean(ServiceDiscovery.class);
		await().atMost(Duration.ofSeconds(5)).until(() -> onB.instances("orders").size() == 2);
		etcd.cluster().member(0).pause();
		await().atMost(TTL.plusSeconds(2)).until(() -> !a.getBean(EtcdServiceRegistration.class).isRegistered());
		// longer than the TTL: the leases expire on etcd's clock once it runs again
		await().pollDelay(TTL.plusMillis(500)).until(() -> true);
		etcd.cluster().member(0).resume();
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
			.until(() -> a.getBean(EtcdServiceRegistration.class).isRegistered() && onB.instances("orders").size() == 2);
	}

	@Test
	void springCloudsDiscoveryHealthTurnsUpOnceTheInstanceIsRegistered() {
		ConfigurableApplicationContext a = start("orders", "a", true,
				"--management.endpoint.health.show-components=always");
		RestClient client = RestClient
			.create("http://127.0.0.1:" + ((WebServerApplicationContext) a).getWebServer().getPort());
		// UNKNOWN ("Discovery Client not initialized") until Spring Cloud hears InstanceRegisteredEvent
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
				client.get().uri("/actuator/health/discoveryComposite").retrieve().body(String.class))
			.contains("\"discoveryClient\":{\"status\":\"UP\"}")
			.endsWith("\"status\":\"UP\"}"));
		assertThat(a.getBean(EtcdServiceRegistration.class).isRegistered()).isTrue();
	}

	@Test
	void aLoadBalancedRestClientCallsTheOtherApplicationByServiceId(CapturedOutput output) {
		ConfigurableApplicationContext callee = start("callee", "callee-1", true);
		ConfigurableApplicationContext caller = start("caller", "caller-1", true);
		await().atMost(Duration.ofSeconds(5))
			.until(() -> caller.getBean(DiscoveryClient.class).getInstances("callee").size() == 1);
		RestClient client = caller.getBean(RestClient.Builder.class).build();
		assertThat(client.get().uri("http://callee/hello").retrieve().body(String.class)).isEqualTo("hello from callee-1");
		assertThat(callee.getBean(DiscoveryClient.class).getInstances("caller")).hasSize(1);
		// no stale instance cache in LoadBalancer: the next call goes where the catalog says
		callee.close();
		start("callee", "callee-2", true);
		await().atMost(Duration.ofSeconds(5))
			.until(() -> caller.getBean(DiscoveryClient.class).getInstances("callee").size() == 1
					&& caller.getBean(DiscoveryClient.class).getInstances("callee").get(0).getInstanceId().equals("callee-2"));
		assertThat(client.get().uri("http://callee/hello").retrieve().body(String.class)).isEqualTo("hello from callee-2");
		// the default configuration (LoadBalancer's cache off) does not make LoadBalancer warn
		assertThat(output).doesNotContain("LoadBalancerCacheManager not available");
	}

	@Test
	void whileAHealthIndicatorIsDownTheInstanceIsPublishedDownAndUpAgainAfter() {
		// the health endpoint, which the status follows, is there in web applications
		ConfigurableApplicationContext a = start("orders", "a", true, "--coordination.etcd.discovery.health.interval=100ms");
		ConfigurableApplicationContext b = start("orders", "b", true);
		ServiceDiscovery onB = b.getBean(ServiceDiscovery.class);
		await().atMost(Duration.ofSeconds(5)).until(() -> onB.instances("orders").size() == 2);
		a.getBean(DiscoveryTestApplication.Switch.class).health.set(Health.down().withDetail("disk", "full").build());
		await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(onB.instances("orders"))
			.extracting(ServiceRecord::instanceId)
			.containsExactly("b"));
		assertThat(onB.allInstances("orders")).extracting(ServiceRecord::status)
			.containsExactly(InstanceStatus.DOWN, InstanceStatus.UP);
		a.getBean(DiscoveryTestApplication.Switch.class).health.set(Health.up().build());
		await().atMost(Duration.ofSeconds(3)).until(() -> onB.instances("orders").size() == 2);
		// an operator's OUT_OF_SERVICE through Spring Cloud's ServiceRegistry is left alone by the health
		@SuppressWarnings("unchecked")
		ServiceRegistry<org.springframework.cloud.client.serviceregistry.Registration> registry = a.getBean(ServiceRegistry.class);
		// the Registration bean is what Spring Cloud's serviceregistry endpoint passes
		org.springframework.cloud.client.serviceregistry.Registration self = a
			.getBean(org.springframework.cloud.client.serviceregistry.Registration.class);
		assertThat(self.getInstanceId()).isEqualTo("a");
		registry.setStatus(self, "OUT_OF_SERVICE");
		assertThat((String) registry.getStatus(self)).isEqualTo("OUT_OF_SERVICE");
		await().atMost(Duration.ofSeconds(3)).until(() -> onB.instances("orders").size() == 1);
		await().pollDelay(Duration.ofMillis(500)).until(() -> true);
		assertThat(onB.allInstances("orders")).extracting(ServiceRecord::status)
			.containsExactly(InstanceStatus.OUT_OF_SERVICE, InstanceStatus.UP);
	}

	@Test
	void recordsThatAreNotValidRegistrationsAreSkippedAndCountedAndTheRestKeepsWorking() throws Exception {
		ConfigurableApplicationContext a = start("orders", "a", false, "--coordination.etcd.instance.port=8081");
		ServiceDiscovery discovery = a.getBean(ServiceDiscovery.class);
		await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("orders").size() == 1);
		put("/services/orders/broken", "{not json");
		put("/services/orders/no-port", "{\"instanceId\":\"no-port\",\"serviceId\":\"orders\",\"host\":\"h\"}");
		put("/services/orders/impostor", "{\"instanceId\":\"a\",\"serviceId\":\"orders\",\"host\":\"evil\",\"port\":1}");
		put("/services/orders/deep/key", "{}");
		put("/services/orders/extra", "{\"instanceId\":\"extra\",\"serviceId\":\"orders\",\"host\":\"h\",\"port\":9,"
				+ "\"injected\":{\"admin\":true}}");
		await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("orders").size() == 2);
		assertThat(discovery.instances("orders")).extracting(ServiceRecord::instanceId).containsExactly("a", "extra");
		assertThat(a.getBean(MeterRegistry.class).counter(CoordinationMeterNames.DISCOVERY_SKIPPED_RECORDS).count())
			.isEqualTo(4);
		// a fresh application reads the same catalog: the bad records are skipped on the first read too
		ConfigurableApplicationContext b = start("orders", "b", false, "--coordination.etcd.instance.port=8082");
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(b.getBean(ServiceDiscovery.class)
			.instances("orders")).extracting(ServiceRecord::instanceId).containsExactly("a", "b", "extra"));
		assertThat(b.getBean(MeterRegistry.class).counter(CoordinationMeterNames.DISCOVERY_SKIPPED_RECORDS).count())
			.isEqualTo(4);
	}

	@Test
	void anInstanceIdTakenByAnotherLiveInstanceIsLeftAloneUntilItGoes() throws Exception {
		long foreign = etcd.client().getLeaseClient().grant(60).get(5, TimeUnit.SECONDS).getID();
		String theirs = "{\"instanceId\":\"a\",\"serviceId\":\"orders\",\"host\":\"10.0.0.9\",\"port\":9000}";
		etcd.client().getKVClient().put(EtcdKeys.bytes("/services/orders/a"), EtcdKeys.bytes(theirs),
				io.etcd.jetcd.options.PutOption.builder().withLeaseId(foreign).build()).get(5, TimeUnit.SECONDS);
		ConfigurableApplicationContext a = start("orders", "a", false, "--coordination.etcd.instance.port=8081");
		EtcdServiceRegistration registration = a.getBean(EtcdServiceRegistration.class);
		await().atMost(Duration.ofSeconds(5)).until(() -> registration.lastError().isPresent());
		assertThat(registration.lastError().get()).contains("Instance id 'a' of service 'orders' is registered by"
				+ " another instance");
		assertThat(registration.isRegistered()).isFalse();
		assertThat(a.getBean(ServiceDiscovery.class).instances("orders")).extracting(ServiceRecord::host)
			.containsExactly("10.0.0.9");
		// once the other one's lease is gone, this instance registers
		etcd.client().getLeaseClient().revoke(foreign).get(5, TimeUnit.SECONDS);
		await().atMost(Duration.ofSeconds(5)).until(registration::isRegistered);
		assertThat(a.getBean(ServiceDiscovery.class).instances("orders")).extracting(ServiceRecord::host)
			.containsExactly("127.0.0.1");
	}

	@Test
	void anEtcdOutageAfterAnInstanceIdConflictIsWarnedOfToo(CapturedOutput output) throws Exception {
		long foreign = etcd.client().getLeaseClient().grant(60).get(5, TimeUnit.SECONDS).getID();
		String theirs = "{\"instanceId\":\"a\",\"serviceId\":\"orders\",\"host\":\"10.0.0.9\",\"port\":9000}";
		etcd.client().getKVClient().put(EtcdKeys.bytes("/services/orders/a"), EtcdKeys.bytes(theirs),
				io.etcd.jetcd.options.PutOption.builder().withLeaseId(foreign).build()).get(5, TimeUnit.SECONDS);
		// retries every 200 ms at most; a session that outlives a few timed-out retries
		ConfigurableApplicationContext a = new SpringApplicationBuilder(DiscoveryTestApplication.class).run(
				"--spring.main.banner-mode=off", "--spring.main.web-application-type=none",
				"--spring.application.name=orders", "--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"--coordination.etcd.request-timeout=500ms", "--coordination.etcd.session.ttl=6s",
				"--coordination.etcd.session.safety-margin=500ms", "--coordination.etcd.retry.delay=50ms",
				"--coordination.etcd.retry.max-delay=200ms", "--coordination.etcd.instance.host=127.0.0.1",
				"--coordination.etcd.instance.id=a", "--coordination.etcd.instance.port=8081");
		this.applications.add(a);
		await().atMost(Duration.ofSeconds(5)).until(() -> output.getOut().contains("is registered by another instance"));
		etcd.cluster().member(0).pause();
		// a new failure, not a repeat of the conflict: a WARN line of its own
		await().atMost(Duration.ofSeconds(5)).until(() -> output.getOut().lines().anyMatch(
				(line) -> line.contains("WARN") && line.contains("Could not register instance a of service orders in etcd")));
	}

	@Test
	void aRecordChangedOnThisInstancesOwnLeaseIsStillItsOwnToUpdateAndDeregister() throws Exception {
		ConfigurableApplicationContext a = start("orders", "a", false, "--coordination.etcd.instance.port=8081");
		EtcdServiceRegistration registration = a.getBean(EtcdServiceRegistration.class);
		await().atMost(Duration.ofSeconds(5)).until(registration::isRegistered);
		long lease = registration.lease();
		// as if a write of this instance whose answer was lost had been applied late
		String late = "{\"instanceId\":\"a\",\"serviceId\":\"orders\",\"host\":\"127.0.0.1\",\"port\":8081,"
				+ "\"status\":\"OUT_OF_SERVICE\"}";
		etcd.client().getKVClient().put(EtcdKeys.bytes("/services/orders/a"), EtcdKeys.bytes(late),
				io.etcd.jetcd.options.PutOption.builder().withLeaseId(lease).build()).get(5, TimeUnit.SECONDS);
		assertThat(registration.setStatus(InstanceStatus.DOWN)).isTrue();
		await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(
				a.getBean(ServiceDiscovery.class).allInstances("orders"))
			.extracting(ServiceRecord::status)
			.containsExactly(InstanceStatus.DOWN));
		etcd.client().getKVClient().put(EtcdKeys.bytes("/services/orders/a"), EtcdKeys.bytes(late),
				io.etcd.jetcd.options.PutOption.builder().withLeaseId(lease).build()).get(5, TimeUnit.SECONDS);
		registration.deregister();
		assertThat(etcd.client().getKVClient().get(EtcdKeys.bytes("/services/orders/a")).get(5, TimeUnit.SECONDS)
			.getCount()).isZero();
	}

	@Test
	void aWebApplicationWithoutAServiceIdFailsToStartNamingTheProperty() {
		assertThatExceptionOfType(Exception.class).isThrownBy(() -> start(null, "x", true))
			.havingRootCause()
			.isInstanceOf(InvalidConfigurationPropertyValueException.class)
			.withMessageContaining("coordination.etcd.discovery.service-id")
			.withMessageContaining("spring.application.name");
	}

	@Test
	void anApplicationWithoutWebServerOrPortDoesNotRegister() {
		ConfigurableApplicationContext a = start("orders", "a", false);
		assertThat(a.getBean(EtcdServiceRegistration.class).registration()).isEmpty();
		assertThat(a.getBean(ServiceDiscovery.class).services()).isEmpty();
	}

	private void put(String key, String value) throws Exception {
		etcd.client().getKVClient().put(EtcdKeys.bytes(key), EtcdKeys.bytes(value)).get(5, TimeUnit.SECONDS);
	}

	private ConfigurableApplicationContext start(String serviceId, String instanceId, boolean web, String... extra) {
		List<String> args = new ArrayList<>(List.of("--spring.main.banner-mode=off",
				"--coordination.etcd.endpoints=" + etcd.endpointsAsString(), "--coordination.etcd.request-timeout=1s",
				"--coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"--coordination.etcd.session.safety-margin=500ms", "--coordination.etcd.instance.host=127.0.0.1",
				"--coordination.etcd.instance.id=" + instanceId,
				"--coordination.etcd.discovery.zone=zone-" + instanceId,
				"--coordination.etcd.instance.metadata.team=billing", "--management.endpoints.web.exposure.include=health",
				"--spring.main.web-application-type=" + (web ? "servlet" : "none"), "--server.port=0"));
		if (serviceId != null) {
			args.add("--spring.application.name=" + serviceId);
		}
		args.addAll(List.of(extra));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(DiscoveryTestApplication.class)
			.run(args.toArray(String[]::new));
		this.applications.add(context);
		return context;
	}

}
