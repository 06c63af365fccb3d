package dev.coordination.it.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.coordination.config.ConfigChangedEvent.Change;
import dev.coordination.config.ConfigChangedEvent;
import dev.coordination.config.ConfigTemplate;
import dev.coordination.config.FeatureFlags;
import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.config.internal.EtcdConfigWatcher;
import dev.coordination.etcd.internal.CoordinationMeterNames;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.options.DeleteOption;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.validation.constraints.Min;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.cloud.context.config.annotation.RefreshScope;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.cloud.context.refresh.ContextRefresher;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.validation.annotation.Validated;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The configuration imported from etcd changes live: the {@code Environment}, rebound
 * {@code @ConfigurationProperties} beans and {@code @RefreshScope} beans see puts, changes and deletes
 * made by another client within a second; bursts are coalesced; bad documents and values keep the last
 * good configuration; flags and snapshots round trip.
 */
class EtcdConfigRefreshIntegrationTests {

	private static final Duration WITHIN_A_SECOND = Duration.ofSeconds(1);

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

	@Test
	void putsChangesAndDeletesReachTheEnvironmentBoundPropertiesAndRefreshScopeBeansWithinOneSecond() throws Exception {
		put("/config/orders/greeting/message", "hello");
		ConfigurableApplicationContext context = start();
		GreetingProperties properties = context.getBean(GreetingProperties.class);
		Greeter greeter = context.getBean(Greeter.class);
		Events events = context.getBean(Events.class);
		assertThat(properties.getMessage()).isEqualTo("hello");
		assertThat(greeter.message()).isEqualTo("hello");

		put("/config/orders/greeting/message", "changed");
		put("/config/orders/greeting/timeout", "5");
		await().atMost(WITHIN_A_SECOND).untilAsserted(() -> {
			assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("changed");
			assertThat(properties.getMessage()).isEqualTo("changed");
			assertThat(properties.getTimeout()).isEqualTo(5);
			assertThat(greeter.message()).isEqualTo("changed");
		});

		delete("/config/orders/greeting/message");
		delete("/config/orders/greeting/timeout");
		await().atMost(WITHIN_A_SECOND).untilAsserted(() -> {
			assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("from application.properties");
			// a deleted property returns to the lower-precedence value, or the field's default
			assertThat(properties.getMessage()).isEqualTo("from application.properties");
			assertThat(properties.getTimeout()).isEqualTo(30);
			assertThat(greeter.message()).isEqualTo("from application.properties");
		});
		// Spring Cloud's refresh names the keys it saw change
		assertThat(context.getBean(CloudEvents.class).keys.stream().flatMap(Set::stream).toList())
			.contains("greeting.message", "greeting.timeout");
		// each change once, with its old and new value; the events come on the event thread, after the
		// beans changed
		await().atMost(WITHIN_A_SECOND)
			.untilAsserted(() -> assertThat(
					events.changes().stream().flatMap((change) -> change.entrySet().stream()).toList())
				.containsExactlyInAnyOrder(Map.entry("greeting.message", new Change("hello", "changed")),
						Map.entry("greeting.timeout", new Change(null, "5")),
						Map.entry("greeting.message", new Change("changed", null)),
						Map.entry("greeting.timeout", new Change("5", null))));
	}

	@Test
	void aContextOfHigherPrecedenceHidesAChangeUntilItsOwnValueIsDeleted() throws Exception {
		put("/config/application/greeting/message", "application");
		put("/config/orders/greeting/message", "orders");
		ConfigurableApplicationContext context = start();
		Events events = context.getBean(Events.class);
		EtcdConfigState state = context.getBean(EtcdConfigState.class);
		assertThat(state.contexts()).containsExactly("/config/application/", "/config/orders/");
		assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("orders");
		long hidden = etcd.client().getKVClient().put(EtcdKeys.bytes("/config/application/greeting/message"),
				EtcdKeys.bytes("application 2")).get(5, TimeUnit.SECONDS).getHeader().getRevision();
		await().atMost(WITHIN_A_SECOND).until(() -> state.revision() >= hidden);
		assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("orders");
		assertThat(events.changes()).isEmpty();
		delete("/config/orders/greeting/message");
		await().atMost(WITHIN_A_SECOND)
			.until(() -> "application 2".equals(context.getBean(GreetingProperties.class).getMessage()));
		// the event comes on the event thread, after the beans changed
		await().atMost(WITHIN_A_SECOND).until(() -> !events.changes().isEmpty());
		assertThat(events.changes()).containsExactly(Map.of("greeting.message", new Change("orders", "application 2")));
	}

	@Test
	void withoutSpringCloudRefreshTheStarterRebindsConfigurationPropertiesItself() throws Exception {
		ConfigurableApplicationContext context = start("--spring.cloud.refresh.enabled=false");
		GreetingProperties properties = context.getBean(GreetingProperties.class);
		put("/config/application/greeting/message", "from etcd");
		put("/config/orders/greeting/names", "a,b");
		await().atMost(WITHIN_A_SECOND).untilAsserted(() -> {
			assertThat(properties.getMessage()).isEqualTo("from etcd");
			assertThat(properties.getNames()).containsExactly("a", "b");
			assertThat(properties.getPool().getSize()).isEqualTo(1);
		});
		put("/config/orders/greeting/pool/size", "8");
		await().atMost(WITHIN_A_SECOND).until(() -> properties.getPool().getSize() == 8);
		delete("/config/orders/greeting/pool/size");
		delete("/config/orders/greeting/names");
		await().atMost(WITHIN_A_SECOND).untilAsserted(() -> {
			assertThat(properties.getPool().getSize()).isEqualTo(1);
			assertThat(properties.getNames()).isEmpty();
		});
	}

	@Test
	void aBurstOfPutsIsAppliedExactlyInFewRefreshes() throws Exception {
		ConfigurableApplicationContext context = start();
		Events events = context.getBean(Events.class);
		MeterRegistry meters = context.getBean(MeterRegistry.class);
		// a burst: the puts of a round sent at once, as fast as etcd takes them, rather than one after
		// the other (each one's round trip, about 10 ms on a busy machine, would make 100 of them
		// span 50 windows of watch.delay); the second round gives each key its final value
		for (int[] round : new int[][] { { 0, 90 }, { 90, 100 } }) {
			List<CompletableFuture<?>> puts = new ArrayList<>();
			for (int i = round[0]; i < round[1]; i++) {
				puts.add(etcd.client().getKVClient().put(EtcdKeys.bytes("/config/orders/burst/key" + (i % 10)),
						EtcdKeys.bytes(Integer.toString(i))));
			}
			CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
		}
		await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
			for (int key = 0; key < 10; key++) {
				assertThat(context.getEnvironment().getProperty("burst.key" + key)).isEqualTo(Integer.toString(90 + key));
			}
		});
		// the event of a refresh comes last, after its meters: the events of every final value
		await().atMost(WITHIN_A_SECOND).until(() -> IntStream.range(0, 10)
			.allMatch((key) -> events.changes().stream().anyMatch((change) -> Integer.toString(90 + key)
				.equals(change.getOrDefault("burst.key" + key, new Change(null, null)).newValue()))));
		double refreshes = meters.get(CoordinationMeterNames.CONFIG_REFRESHES).tag("outcome", "applied").counter().count();
		assertThat(events.changes()).hasSizeLessThanOrEqualTo(10).hasSize((int) refreshes);
		assertThat(meters.get(CoordinationMeterNames.CONFIG_REFRESH_LATENCY).timer().count()).isEqualTo((long) refreshes);
		assertThat(meters.get(CoordinationMeterNames.CONFIG_REVISION).gauge().value())
			.isEqualTo(context.getBean(EtcdConfigState.class).revision());
	}

	@Test
	void theFirstChangeAfterAQuietWatchDelayIsAppliedAtOnceAndOneWithinItWhenItEnds() throws Exception {
		put("/config/orders/greeting/message", "start");
		ConfigurableApplicationContext context = start("--coordination.etcd.config.watch.delay=5s");
		GreetingProperties properties = context.getBean(GreetingProperties.class);
		Events events = context.getBean(Events.class);
		// nothing handed over since start-up: the first change opens a window and is applied at once
		put("/config/orders/greeting/message", "first");
		await().atMost(WITHIN_A_SECOND).until(() -> "first".equals(properties.getMessage()));
		await().atMost(WITHIN_A_SECOND).until(() -> events.changes().size() == 1);
		// within the 5 s window of that refresh: held back until the window ends, not dropped
		put("/config/orders/greeting/message", "second");
		put("/config/orders/greeting/timeout", "7");
		await().during(Duration.ofSeconds(2))
			.atMost(Duration.ofSeconds(3))
			.until(() -> "first".equals(properties.getMessage()) && events.changes().size() == 1);
		await().atMost(Duration.ofSeconds(5)).until(() -> "second".equals(properties.getMessage()));
		await().atMost(WITHIN_A_SECOND).until(() -> events.changes().size() == 2);
		assertThat(properties.getTimeout()).isEqualTo(7);
		assertThat(events.changes()).containsExactly(Map.of("greeting.message", new Change("start", "first")),
				Map.of("greeting.message", new Change("first", "second"), "greeting.timeout", new Change(null, "7")));
	}

	@Test
	void aBurstWithinTheWatchDelayIsAppliedInTwoRefreshesAndTheLastValueWins() throws Exception {
		ConfigurableApplicationContext context = start("--coordination.etcd.config.watch.delay=3s");
		Events events = context.getBean(Events.class);
		// one after the other, well within 3 s: the first is applied at once, the others wait for the end
		// of its window
		for (int i = 0; i < 50; i++) {
			put("/config/orders/greeting/message", "burst " + i);
		}
		await().atMost(Duration.ofSeconds(4))
			.until(() -> "burst 49".equals(context.getBean(GreetingProperties.class).getMessage()));
		await().atMost(WITHIN_A_SECOND).until(() -> events.changes().size() >= 2);
		// the first refresh has what had arrived when it ran (a watch response can carry a few)
		assertThat(events.changes()).hasSize(2);
		assertThat(events.changes().get(0).get("greeting.message").newValue()).startsWith("burst ")
			.isNotEqualTo("burst 49");
		assertThat(events.changes().get(1).get("greeting.message").newValue()).isEqualTo("burst 49");
	}

	@Test
	void aValueThatDoesNotBindIsNotAppliedAndALaterGoodChangeIs() throws Exception {
		put("/config/orders/greeting/timeout", "10");
		ConfigurableApplicationContext context = start();
		GreetingProperties properties = context.getBean(GreetingProperties.class);
		HealthIndicator health = context.getBean("etcdConfigHealthIndicator", HealthIndicator.class);
		MeterRegistry meters = context.getBean(MeterRegistry.class);
		put("/config/orders/greeting/timeout", "not a number");
		put("/config/orders/greeting/message", "with a bad timeout");
		put("/config/orders/other", "applied");
		await().atMost(WITHIN_A_SECOND).until(() -> "applied".equals(context.getEnvironment().getProperty("other")));
		// the bean's values stay together: neither the bad timeout nor the message beside it
		assertThat(context.getEnvironment().getProperty("greeting.timeout")).isEqualTo("10");
		assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("from application.properties");
		assertThat(properties.getTimeout()).isEqualTo(10);
		Health rejected = health.health(true);
		assertThat(rejected.getStatus()).isEqualTo(Status.UP);
		assertThat((String) rejected.getDetails().get("lastError")).contains("greeting.timeout")
			.contains("'not a number'")
			.contains("GreetingProperties (greeting)")
			.contains("The last good values of greeting.* stay");
		await().atMost(WITHIN_A_SECOND).until(() -> meters.find(CoordinationMeterNames.CONFIG_REFRESHES)
			.tag("outcome", "rejected")
			.counters()
			.stream()
			.anyMatch((counter) -> counter.count() >= 1));
		put("/config/orders/greeting/timeout", "20");
		await().atMost(WITHIN_A_SECOND).untilAsserted(() -> {
			assertThat(properties.getTimeout()).isEqualTo(20);
			assertThat(properties.getMessage()).isEqualTo("with a bad timeout");
		});
		assertThat(health.health(true).getDetails()).doesNotContainKey("lastError");
	}

	@Test
	void aDocumentThatDoesNotParseKeepsTheLastGoodOne() throws Exception {
		put("/config/orders/data", "greeting:\n  message: from yaml\n");
		ConfigurableApplicationContext context = start("--coordination.etcd.config.format=yaml");
		HealthIndicator health = context.getBean("etcdConfigHealthIndicator", HealthIndicator.class);
		assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("from yaml");
		put("/config/orders/data", "greeting: [unclosed\n");
		put("/config/application/data", "shared: applied\n");
		await().atMost(WITHIN_A_SECOND).until(() -> "applied".equals(context.getEnvironment().getProperty("shared")));
		assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("from yaml");
		assertThat((String) health.health(true).getDetails().get("lastError"))
			.contains("The yaml document at /config/orders/data (revision ");
		put("/config/orders/data", "greeting:\n  message: fixed\n");
		await().atMost(WITHIN_A_SECOND)
			.until(() -> "fixed".equals(context.getBean(GreetingProperties.class).getMessage()));
		assertThat(health.health(true).getDetails()).doesNotContainKey("lastError");
	}

	@Test
	void aValueAValidatedBeanRejectsIsNotApplied() throws Exception {
		put("/config/orders/limits/max", "5");
		ConfigurableApplicationContext context = start();
		LimitProperties limits = context.getBean(LimitProperties.class);
		put("/config/orders/limits/max", "-1");
		put("/config/orders/unrelated", "applied");
		await().atMost(WITHIN_A_SECOND).until(() -> "applied".equals(context.getEnvironment().getProperty("unrelated")));
		assertThat(limits.getMax()).isEqualTo(5);
		assertThat(context.getEnvironment().getProperty("limits.max")).isEqualTo("5");
		assertThat(context.getBean(EtcdConfigState.class).lastError()).hasValueSatisfying(
				(error) -> assertThat(error).contains("limits.max").contains("'-1'").contains("LimitProperties"));
		put("/config/orders/limits/max", "7");
		await().atMost(WITHIN_A_SECOND).until(() -> limits.getMax() == 7);
	}

	@Test
	void aRefreshStartedBySpringCloudItselfKeepsTheLiveConfiguration() throws Exception {
		put("/config/orders/greeting/message", "one");
		ConfigurableApplicationContext context = start();
		GreetingProperties properties = context.getBean(GreetingProperties.class);
		put("/config/orders/greeting/message", "two");
		await().atMost(WITHIN_A_SECOND).until(() -> "two".equals(properties.getMessage()));
		// what the refresh endpoint or Spring Cloud Bus do, on another thread than the watch
		context.getBean(ContextRefresher.class).refresh();
		assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("two");
		assertThat(properties.getMessage()).isEqualTo("two");
		put("/config/orders/greeting/message", "three");
		await().atMost(WITHIN_A_SECOND).untilAsserted(() -> {
			assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("three");
			assertThat(context.getBean(Greeter.class).message()).isEqualTo("three");
		});
	}

	@Test
	void withoutTheWatchTheConfigurationIsReadOnceAndHealthSaysSo() throws Exception {
		put("/config/orders/greeting/message", "read once");
		ConfigurableApplicationContext context = start("--coordination.etcd.config.watch.enabled=false");
		assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("read once");
		assertThat(context.getBeansOfType(EtcdConfigWatcher.class)).isEmpty();
		Health health = context.getBean("etcdConfigHealthIndicator", HealthIndicator.class).health(true);
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("state", "static");
	}

	@Test
	void aStoppedAndRestartedApplicationReadsAgainAndKeepsWhatChanged() throws Exception {
		put("/config/orders/greeting/message", "one");
		ConfigurableApplicationContext context = start();
		put("/config/orders/greeting/message", "two");
		await().atMost(WITHIN_A_SECOND).until(() -> "two".equals(context.getEnvironment().getProperty("greeting.message")));
		context.stop();
		put("/config/orders/greeting/timeout", "9");
		context.start();
		await().atMost(WITHIN_A_SECOND).until(() -> context.getBean(GreetingProperties.class).getTimeout() == 9);
		assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("two");
	}

	@Test
	void featureFlagsRoundTripAndFollowEtcd() throws Exception {
		ConfigurableApplicationContext context = start();
		FeatureFlags flags = context.getBean(FeatureFlags.class);
		assertThat(flags.isEnabled("new-checkout")).isFalse();
		flags.enable("new-checkout");
		assertThat(flags.isEnabled("new-checkout")).isTrue();
		put("/flags/dark mode", "TRUE");
		put("/flags/typo", "yes");
		await().atMost(WITHIN_A_SECOND).until(() -> flags.isEnabled("dark mode"));
		assertThat(flags.all()).containsExactly(Map.entry("dark mode", true), Map.entry("new-checkout", true),
				Map.entry("typo", false));
		flags.disable("new-checkout");
		assertThat(flags.isEnabled("new-checkout")).isFalse();
		// setting a flag to the value it has returns once the watch passed the write, not after a timeout
		java.util.concurrent.CompletableFuture<Void> unchanged = java.util.concurrent.CompletableFuture
			.runAsync(() -> flags.disable("new-checkout"));
		await().atMost(WITHIN_A_SECOND).until(unchanged::isDone);
		assertThat(unchanged).isCompleted();
		assertThatIllegalArgumentException().isThrownBy(() -> flags.enable(""))
			.withMessageContaining("feature flag name");
	}

	@Test
	void aSnapshotRestoresTheWholeConfigurationInOneRevision() throws Exception {
		ConfigurableApplicationContext context = start();
		ConfigTemplate writer = context.getBean(ConfigTemplate.class);
		writer.putAll("orders", Map.of("greeting.message", "good", "greeting.timeout", "7"));
		writer.put("application", "shared", "good");
		ConfigTemplate.Snapshot saved = writer.save("before-release");
		assertThat(saved.keys()).isEqualTo(3);
		writer.put("orders", "greeting.message", "bad");
		writer.delete("application", "shared");
		writer.put("orders", "added", "later");
		Events events = context.getBean(Events.class);
		// the event comes after the Environment changed
		await().atMost(WITHIN_A_SECOND).until(() -> !events.changes().isEmpty()
				&& events.changes().get(events.changes().size() - 1).containsKey("added"));
		int before = events.changes().size();
		long revision = writer.restore("before-release");
		await().atMost(WITHIN_A_SECOND).untilAsserted(() -> {
			assertThat(context.getEnvironment().getProperty("greeting.message")).isEqualTo("good");
			assertThat(context.getEnvironment().getProperty("shared")).isEqualTo("good");
			assertThat(context.getEnvironment().getProperty("added")).isNull();
			assertThat(context.getBean(EtcdConfigState.class).revision()).isGreaterThanOrEqualTo(revision);
		});
		// one transaction, one refresh; its event comes on the event thread, after the Environment changed
		await().atMost(WITHIN_A_SECOND).until(() -> events.changes().size() > before);
		assertThat(events.changes()).hasSize(before + 1);
		assertThat(events.changes().get(before)).containsOnlyKeys("greeting.message", "shared", "added");
		assertThat(writer.snapshots()).extracting(ConfigTemplate.Snapshot::name).containsExactly("before-release");
		assertThatIllegalArgumentException().isThrownBy(() -> writer.restore("missing"))
			.withMessageContaining("no configuration snapshot named 'missing'")
			.withMessageContaining("before-release");
		assertThatIllegalArgumentException().isThrownBy(() -> writer.put("orders", "Not Valid", "x"))
			.withMessageContaining("'Not Valid' is not a valid property name");
		assertThat(writer.deleteSnapshot("before-release")).isTrue();
	}

	private void put(String key, String value) throws Exception {
		etcd.client().getKVClient().put(EtcdKeys.bytes(key), EtcdKeys.bytes(value)).get(5, TimeUnit.SECONDS);
	}

	private void delete(String key) throws Exception {
		etcd.client().getKVClient().delete(EtcdKeys.bytes(key)).get(5, TimeUnit.SECONDS);
	}

	private ConfigurableApplicationContext start(String... extra) {
		List<String> args = new ArrayList<>(List.of("--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"--spring.application.name=orders", "--spring.config.import=etcd:",
				"--greeting.message=from application.properties", "--spring.config.location=optional:classpath:/none/"));
		args.addAll(List.of(extra));
		// the command line outranks etcd, so the lower-precedence value comes as a default property
		SpringApplicationBuilder builder = new SpringApplicationBuilder(Application.class)
			.properties("greeting.message=from application.properties");
		args.removeIf((arg) -> arg.startsWith("--greeting.message"));
		ConfigurableApplicationContext context = builder.run(args.toArray(String[]::new));
		this.applications.add(context);
		return context;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EnableConfigurationProperties({ GreetingProperties.class, LimitProperties.class })
	static class Application {

		@Bean
		@RefreshScope
		Greeter greeter(@Value("${greeting.message:none}") String message) {
			return new Greeter(message);
		}

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		CloudEvents cloudEvents() {
			return new CloudEvents();
		}

		@Bean
		MeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

	static class Greeter {

		private final String message;

		Greeter(String message) {
			this.message = message;
		}

		String message() {
			return this.message;
		}

	}

	static class Events implements ApplicationListener<ConfigChangedEvent> {

		private final List<Map<String, Change>> changes = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(ConfigChangedEvent event) {
			this.changes.add(event.getChanges());
		}

		List<Map<String, Change>> changes() {
			return this.changes;
		}

	}

	static class CloudEvents implements ApplicationListener<EnvironmentChangeEvent> {

		private final List<Set<String>> keys = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(EnvironmentChangeEvent event) {
			this.keys.add(event.getKeys());
		}

	}

	@ConfigurationProperties("limits")
	@Validated
	static class LimitProperties {

		@Min(0)
		private int max = 1;

		public int getMax() {
			return this.max;
		}

		public void setMax(int max) {
			this.max = max;
		}

	}

	@ConfigurationProperties("greeting")
	static class GreetingProperties {

		private String message;

		private int timeout = 30;

		private List<String> names = new ArrayList<>();

		private final Pool pool = new Pool();

		public String getMessage() {
			return this.message;
		}

		public void setMessage(String message) {
			this.message = message;
		}

		public int getTimeout() {
			return this.timeout;
		}

		public void setTimeout(int timeout) {
			this.timeout = timeout;
		}

		public List<String> getNames() {
			return this.names;
		}

		public void setNames(List<String> names) {
			this.names = names;
		}

		public Pool getPool() {
			return this.pool;
		}

		static class Pool {

			private int size = 1;

			public int getSize() {
				return this.size;
			}

			public void setSize(int size) {
				this.size = size;
			}

		}

	}

}
