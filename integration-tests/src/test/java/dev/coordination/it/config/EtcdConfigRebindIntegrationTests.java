package dev.coordination.it.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.config.ConfigChangedEvent;
import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.Shutdown;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryProperties;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A change from etcd rebinds exactly the {@code @ConfigurationProperties} beans whose prefix it
 * touches, as Boot's binder reads its names, and each of them whole: with Spring Cloud's refresh,
 * with Spring Cloud's rebinder alone, and with Boot alone. Keys that name no property of a bean
 * rebind nothing; {@code server.*} and Spring Cloud's own properties apply completely or not at all.
 */
@ExtendWith(OutputCaptureExtension.class)
class EtcdConfigRebindIntegrationTests {

	private static final Duration WITHIN_A_SECOND = Duration.ofSeconds(1);

	// Spring Cloud's refresh (its rebinder and refresh scope), its rebinder alone, and Boot alone
	private static final String CLOUD_REFRESH = "cloud-refresh";

	private static final String CLOUD_REBINDER = "cloud-rebinder";

	private static final String BOOT = "boot";

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	@BeforeEach
	@AfterEach
	void noConfiguration() throws Exception {
		this.applications.forEach(ConfigurableApplicationContext::close);
		this.applications.clear();
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/"), DeleteOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { CLOUD_REFRESH, CLOUD_REBINDER, BOOT })
	void keysThatNameNoPropertyOfABeanRebindNothingAndAChangeRebindsOnlyTheBeansItTouches(String rebinding,
			CapturedOutput output) throws Exception {
		put(Map.of("/config/orders/first/name", "one", "/config/orders/second/name", "one"));
		ConfigurableApplicationContext context = start(rebinding, false);
		FirstProperties first = context.getBean(FirstProperties.class);
		SecondProperties second = context.getBean(SecondProperties.class);
		Events events = context.getBean(Events.class);
		int firstCalls = first.setterCalls();
		int secondCalls = second.setterCalls();
		int mark = output.length();

		// not a property name under any prefix, as Boot's binder reads them: "[bad", ".double", "first."
		long junk = put(Map.of("/config/orders/[bad", "x", "/config/orders//double", "x", "/config/orders/first/",
				"x"));
		// the event comes after the rebinding
		await().atMost(WITHIN_A_SECOND).until(() -> events.revisions().contains(junk));
		assertThat(context.getEnvironment().getProperty("[bad")).isEqualTo("x");
		assertThat(first.setterCalls()).isEqualTo(firstCalls);
		assertThat(second.setterCalls()).isEqualTo(secondCalls);
		assertThat(output.toString().substring(mark)).doesNotContain(" ERROR ");

		put(Map.of("/config/orders/first/name", "two"));
		await().atMost(WITHIN_A_SECOND).until(() -> "two".equals(first.getName()));
		assertThat(second.setterCalls()).isEqualTo(secondCalls);

		// Boot's binder reads second.[bad as second.bad: the second bean only
		firstCalls = first.setterCalls();
		long relaxed = put(Map.of("/config/orders/second/[bad", "x"));
		await().atMost(WITHIN_A_SECOND).until(() -> events.revisions().contains(relaxed));
		assertThat(first.setterCalls()).isEqualTo(firstCalls);
		assertThat(second.setterCalls()).isGreaterThan(secondCalls);
		assertThat(second.getName()).isEqualTo("one");
		assertThat(output.toString().substring(mark)).doesNotContain(" ERROR ");
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { CLOUD_REFRESH, CLOUD_REBINDER, BOOT })
	void serverPropertiesApplyCompletelyOrNotAtAll(String rebinding, CapturedOutput output) throws Exception {
		put(Map.of("/config/orders/server/max-http-request-header-size", "16KB", "/config/orders/server/server-header",
				"one", "/config/orders/server/shutdown", "graceful"));
		ConfigurableApplicationContext context = start(rebinding, true);
		ServerProperties server = context.getBean(ServerProperties.class);
		Events events = context.getBean(Events.class);
		assertThat(server.getServerHeader()).isEqualTo("one");
		int mark = output.length();

		long good = put(Map.of("/config/orders/server/max-http-request-header-size", "32KB",
				"/config/orders/server/server-header", "two", "/config/orders/server/shutdown", "immediate"));
		await().atMost(WITHIN_A_SECOND).until(() -> events.revisions().contains(good));
		assertThat(server.getMaxHttpRequestHeaderSize()).isEqualTo(DataSize.ofKilobytes(32));
		assertThat(server.getServerHeader()).isEqualTo("two");
		assertThat(server.getShutdown()).isEqualTo(Shutdown.IMMEDIATE);
		assertThat(output.toString().substring(mark)).doesNotContain(" ERROR ");

		long bad = put(Map.of("/config/orders/server/max-http-request-header-size", "not a size",
				"/config/orders/server/server-header", "three", "/config/orders/server/shutdown", "graceful",
				"/config/orders/unrelated", "applied"));
		await().atMost(WITHIN_A_SECOND).until(() -> events.revisions().contains(bad));
		assertThat(context.getEnvironment().getProperty("unrelated")).isEqualTo("applied");
		assertThat(server.getMaxHttpRequestHeaderSize()).isEqualTo(DataSize.ofKilobytes(32));
		assertThat(server.getServerHeader()).isEqualTo("two");
		assertThat(server.getShutdown()).isEqualTo(Shutdown.IMMEDIATE);
		assertThat(context.getEnvironment().getProperty("server.server-header")).isEqualTo("two");
		assertThat(context.getBean(EtcdConfigState.class).lastError()).hasValueSatisfying((error) -> assertThat(error)
			.contains("server.max-http-request-header-size").contains("'not a size'").contains("ServerProperties"));
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { CLOUD_REFRESH, CLOUD_REBINDER, BOOT })
	void springCloudPropertiesApplyCompletelyOrNotAtAll(String rebinding, CapturedOutput output) throws Exception {
		String simple = "/config/orders/spring/cloud/discovery/client/simple/";
		put(Map.of(simple + "order", "1", simple + "instances/peer[0]/uri", "http://peer-1:8080"));
		ConfigurableApplicationContext context = start(rebinding, false);
		SimpleDiscoveryProperties discovery = context.getBean(SimpleDiscoveryProperties.class);
		Events events = context.getBean(Events.class);
		assertThat(discovery.getOrder()).isEqualTo(1);
		int mark = output.length();

		long good = put(Map.of(simple + "order", "5", simple + "instances/peer[0]/uri", "http://peer-2:8080"));
		await().atMost(WITHIN_A_SECOND).until(() -> events.revisions().contains(good));
		assertThat(discovery.getOrder()).isEqualTo(5);
		assertThat(discovery.getInstances().get("peer")).singleElement()
			.satisfies((instance) -> assertThat(instance.getUri()).hasToString("http://peer-2:8080"));
		assertThat(output.toString().substring(mark)).doesNotContain(" ERROR ");

		long bad = put(Map.of(simple + "order", "first", simple + "instances/peer[0]/uri", "http://peer-3:8080",
				"/config/orders/unrelated", "applied"));
		await().atMost(WITHIN_A_SECOND).until(() -> events.revisions().contains(bad));
		assertThat(discovery.getOrder()).isEqualTo(5);
		assertThat(discovery.getInstances().get("peer")).singleElement()
			.satisfies((instance) -> assertThat(instance.getUri()).hasToString("http://peer-2:8080"));
		assertThat(context.getBean(EtcdConfigState.class).lastError())
			.hasValueSatisfying((error) -> assertThat(error).contains("spring.cloud.discovery.client.simple.order")
				// with WebFlux on the classpath the reactive twin binds the same prefix, and may be named first
				.containsPattern("Simple(Reactive)?DiscoveryProperties \\(spring\\.cloud\\.discovery\\.client\\.simple\\) cannot bind"));
	}

	@Test
	void aValueOfASecretThatDoesNotBindStaysOutOfTheLogAndTheLastError(CapturedOutput output) throws Exception {
		put(Map.of("/config/orders/vault/api-key", "7"));
		ConfigurableApplicationContext context = start(BOOT, false);
		VaultProperties vault = context.getBean(VaultProperties.class);
		Events events = context.getBean(Events.class);
		assertThat(vault.getApiKey()).isEqualTo(7);
		int mark = output.length();

		// with a key that applies, so that the change is told
		long bad = put(Map.of("/config/orders/vault/api-key", "hunter2-not-a-number", "/config/orders/unrelated",
				"applied"));
		await().atMost(WITHIN_A_SECOND).until(() -> events.revisions().contains(bad));
		assertThat(vault.getApiKey()).isEqualTo(7);
		assertThat(context.getBean(EtcdConfigState.class).lastError())
			.hasValueSatisfying((error) -> assertThat(error).contains("vault.api-key to '******'")
				.contains("VaultProperties (vault) cannot bind")
				.doesNotContain("hunter2"));
		assertThat(output.toString().substring(mark)).contains(" ERROR ", "vault.api-key to '******'")
			.doesNotContain("hunter2");
	}

	@Test
	void withoutSpringCloudADeletedPropertyKeepsItsLastValueUnlessAnotherSourceHasOne() throws Exception {
		put(Map.of("/config/orders/first/name", "from etcd", "/config/orders/first/size", "8"));
		ConfigurableApplicationContext context = start(BOOT, false, "--first.name=lower");
		FirstProperties first = context.getBean(FirstProperties.class);
		assertThat(first.getName()).isEqualTo("from etcd");
		assertThat(first.getSize()).isEqualTo(8);
		long deleted = delete("/config/orders/first/name", "/config/orders/first/size");
		await().atMost(WITHIN_A_SECOND).until(() -> context.getBean(Events.class).revisions().contains(deleted));
		// Boot binds onto the bean: what no source has any more is not set
		assertThat(first.getName()).isEqualTo("lower");
		assertThat(first.getSize()).isEqualTo(8);
	}

	private long put(Map<String, String> keys) throws Exception {
		List<Op> puts = new ArrayList<>();
		keys.forEach((key, value) -> puts.add(Op.put(EtcdKeys.bytes(key), EtcdKeys.bytes(value), PutOption.DEFAULT)));
		// one transaction: one revision, one refresh
		return etcd.client().getKVClient().txn().Then(puts.toArray(Op[]::new)).commit().get(5, TimeUnit.SECONDS)
			.getHeader().getRevision();
	}

	private long delete(String... keys) throws Exception {
		List<Op> deletes = new ArrayList<>();
		for (String key : keys) {
			deletes.add(Op.delete(EtcdKeys.bytes(key), DeleteOption.DEFAULT));
		}
		return etcd.client().getKVClient().txn().Then(deletes.toArray(Op[]::new)).commit().get(5, TimeUnit.SECONDS)
			.getHeader().getRevision();
	}

	private ConfigurableApplicationContext start(String rebinding, boolean web, String... extra) {
		List<String> args = new ArrayList<>(List.of("--spring.main.banner-mode=off",
				"--coordination.etcd.endpoints=" + etcd.endpointsAsString(), "--spring.application.name=orders",
				"--spring.config.import=etcd:", "--spring.config.location=optional:classpath:/none/",
				"--coordination.etcd.discovery.enabled=false"));
		args.add(web ? "--spring.main.web-application-type=servlet" : "--spring.main.web-application-type=none");
		if (web) {
			args.add("--server.port=0");
		}
		if (!rebinding.equals(CLOUD_REFRESH)) {
			args.add("--spring.cloud.refresh.enabled=false");
		}
		if (rebinding.equals(BOOT)) {
			// without Spring Cloud's rebinder (and its refresh endpoint, which needs it)
			args.add("--spring.autoconfigure.exclude="
					+ "org.springframework.cloud.autoconfigure.ConfigurationPropertiesRebinderAutoConfiguration,"
					+ "org.springframework.cloud.autoconfigure.RefreshEndpointAutoConfiguration");
		}
		SpringApplicationBuilder builder = new SpringApplicationBuilder(Application.class);
		for (String property : extra) {
			// the command line outranks etcd: a lower-precedence value comes as a default property
			builder.properties(property.substring(2));
		}
		ConfigurableApplicationContext context = builder.run(args.toArray(String[]::new));
		this.applications.add(context);
		return context;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EnableConfigurationProperties({ FirstProperties.class, SecondProperties.class, VaultProperties.class })
	static class Application {

		@Bean
		Events events() {
			return new Events();
		}

	}

	static class Events implements ApplicationListener<ConfigChangedEvent> {

		private final List<Long> revisions = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(ConfigChangedEvent event) {
			this.revisions.add(event.getRevision());
		}

		List<Long> revisions() {
			return this.revisions;
		}

	}

	/**
	 * Counts the calls of its setters: every way of rebinding it calls them.
	 */
	abstract static class CountingProperties {

		private final AtomicInteger setterCalls = new AtomicInteger();

		private String name;

		private int size = 1;

		public String getName() {
			return this.name;
		}

		public void setName(String name) {
			this.setterCalls.incrementAndGet();
			this.name = name;
		}

		public int getSize() {
			return this.size;
		}

		public void setSize(int size) {
			this.setterCalls.incrementAndGet();
			this.size = size;
		}

		int setterCalls() {
			return this.setterCalls.get();
		}

	}

	@ConfigurationProperties("first")
	static class FirstProperties extends CountingProperties {

	}

	@ConfigurationProperties("second")
	static class SecondProperties extends CountingProperties {

	}

	@ConfigurationProperties("vault")
	static class VaultProperties {

		private int apiKey;

		public int getApiKey() {
			return this.apiKey;
		}

		public void setApiKey(int apiKey) {
			this.apiKey = apiKey;
		}

	}

}
