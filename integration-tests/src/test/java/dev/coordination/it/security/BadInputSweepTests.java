package dev.coordination.it.security;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.coordination.autoconfigure.config.ConfigAutoConfiguration;
import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.config.ConfigTemplate;
import dev.coordination.config.FeatureFlags;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.election.LeaderElections;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Hostile or broken input, table-driven: every case fails with a clear error that names the
 * property, method or key and says what would be valid, and damages nothing (no key written, the
 * last good configuration kept).
 */
class BadInputSweepTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, ElectionAutoConfiguration.class, LockAutoConfiguration.class,
				DiscoveryAutoConfiguration.class, ConfigAutoConfiguration.class))
		.withBean(Orders.class)
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=3s");

	@AfterEach
	void nothingLeft() throws Exception {
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/"), DeleteOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
	}

	static Stream<Arguments> badProperties() {
		return Stream.of(
				Arguments.of("coordination.etcd.endpoints=not a uri", "coordination.etcd.endpoints"),
				Arguments.of("coordination.etcd.endpoints=127.0.0.1:2379", "coordination.etcd.endpoints"),
				Arguments.of("coordination.etcd.endpoints=ftp://127.0.0.1:2379", "coordination.etcd.endpoints"),
				Arguments.of("coordination.etcd.request-timeout=-1s", "coordination.etcd.request-timeout"),
				Arguments.of("coordination.etcd.session.ttl=0s", "coordination.etcd.session.ttl"),
				Arguments.of("coordination.etcd.session.ttl=1500ms", "coordination.etcd.session.ttl"),
				Arguments.of("coordination.etcd.session.ttl=100000000d", "coordination.etcd.session.ttl"),
				Arguments.of("coordination.etcd.session.safety-margin=10s", "coordination.etcd.session.safety-margin"),
				Arguments.of("coordination.etcd.lock.prefix=locks", "coordination.etcd.lock.prefix"),
				Arguments.of("coordination.etcd.lock.semaphore-prefix=/locks/s", "coordination.etcd.lock"),
				Arguments.of("coordination.etcd.election.prefix=/a\u0007b", "coordination.etcd.election.prefix"),
				Arguments.of("coordination.etcd.discovery.prefix= ", "coordination.etcd.discovery.prefix"),
				Arguments.of("coordination.etcd.config.watch.delay=-1ms", "coordination.etcd.config.watch.delay"),
				Arguments.of("coordination.etcd.config.snapshots.prefix=/config/snapshots",
						"coordination.etcd.config.snapshots.prefix"),
				Arguments.of("coordination.etcd.config.flags.prefix=flags", "coordination.etcd.config.flags.prefix"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("badProperties")
	void aBadPropertyFailsStartUpNamingItAndWritesNothing(String property, String named) throws Exception {
		this.contextRunner.withPropertyValues(property).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(messages(context.getStartupFailure())).contains(named);
		});
		assertThat(keyCount("/")).isZero();
	}

	@Test
	void namesWithSlashesDotsSpacesAndUnicodeStayInsideThePrefixAndApart() {
		this.contextRunner.run((context) -> {
			DistributedLockRegistry locks = context.getBean(DistributedLockRegistry.class);
			List<String> names = List.of("a/../b", "a/b", "a%2Fb", "a b", "ünïcødé ✓", "..", "/", "a\nb");
			List<DistributedLock> held = new ArrayList<>();
			for (String name : names) {
				DistributedLock lock = locks.obtain(name);
				assertThat(lock.tryLock(5, TimeUnit.SECONDS)).as(name).isTrue();
				held.add(lock);
			}
			LeaderElections elections = context.getBean(LeaderElections.class);
			assertThat(elections.election("../../services/evil").awaitLeadership(Duration.ofSeconds(5))).isTrue();
			// one key per name, all different, none outside the starter's prefixes
			List<String> keys = keys("/");
			assertThat(keys.stream().filter((key) -> key.startsWith("/locks/"))).hasSize(names.size());
			assertThat(keys).allMatch((key) -> key.startsWith("/locks/") || key.startsWith("/elections/")
					|| key.startsWith("/services/"));
			assertThat(keys.stream().filter((key) -> key.startsWith("/services/"))).isEmpty();
			held.forEach(DistributedLock::unlock);
			assertThatIllegalArgumentException().isThrownBy(() -> locks.obtain("")).withMessageContaining("lock");
			assertThatIllegalArgumentException().isThrownBy(() -> elections.election(""))
				.withMessageContaining("election");
		});
	}

	@Test
	void aSpelKeyThatThrowsOrGivesNothingFailsNamingTheMethodAndTakesNoLock() {
		this.contextRunner.run((context) -> {
			Orders orders = context.getBean(Orders.class);
			assertThatException().isThrownBy(() -> orders.process(null))
				.withMessageContaining("@DistributedLocked method")
				.withMessageContaining("process")
				.withMessageContaining("null");
			assertThatException().isThrownBy(() -> orders.failing("x"))
				.withMessageContaining("@DistributedLocked method")
				.withMessageContaining("failing")
				.withMessageContaining("#id.noSuchMethod()");
			assertThat(keys("/locks/")).isEmpty();
		});
	}

	@Test
	void serviceRecordsWithInjectedOrForeignFieldsAreIgnoredOrSkipped() throws Exception {
		put("/services/orders/a", "{\"instanceId\":\"a\",\"serviceId\":\"orders\",\"host\":\"127.0.0.1\",\"port\":8080,"
				+ "\"status\":\"UP\",\"admin\":true,\"metadata\":{\"zone\":\"x\"},\"__proto__\":{\"polluted\":1}}");
		put("/services/orders/b", "{\"instanceId\":\"not-b\",\"serviceId\":\"orders\",\"host\":\"127.0.0.1\",\"port\":8081}");
		put("/services/orders/c", "{\"instanceId\":\"c\",\"serviceId\":\"payments\",\"host\":\"127.0.0.1\",\"port\":8082}");
		putBytes("/services/orders/d", new byte[] { (byte) 0xC3, (byte) 0x28, '{', '}' });
		put("/services/orders/e", "{\"instanceId\":\"e\",\"serviceId\":\"orders\",\"host\":\"127.0.0.1\",\"port\":99999}");
		this.contextRunner.run((context) -> {
			ServiceDiscovery discovery = context.getBean(ServiceDiscovery.class);
			await().atMost(Duration.ofSeconds(5)).until(() -> discovery.allInstances("orders").size() == 1);
			assertThat(discovery.allInstances("orders")).singleElement()
				.satisfies((record) -> assertThat(record.instanceId()).isEqualTo("a"));
			assertThat(discovery.services()).containsExactly("orders");
		});
	}

	@Test
	void configurationThatIsNotUtf8OrNotADocumentFailsStartUpNamingTheKeyAndLaterIsNotApplied() throws Exception {
		putBytes("/config/orders/greeting", new byte[] { 'h', 'i', (byte) 0xFF });
		assertThatException().isThrownBy(() -> start())
			.satisfies((failure) -> assertThat(messages(failure)).contains("/config/orders/greeting")
				.contains("not valid UTF-8"));
		put("/config/orders/greeting", "hello");
		try (ConfigurableApplicationContext context = start()) {
			putBytes("/config/orders/greeting", new byte[] { 'b', 'a', 'd', (byte) 0xFE });
			put("/config/orders/other", "applied");
			put("/config/application/later", "applied");
			await().atMost(Duration.ofSeconds(2))
				.until(() -> "applied".equals(context.getEnvironment().getProperty("later")));
			// the context with the bad value keeps its last good state, whole
			assertThat(context.getEnvironment().getProperty("greeting")).isEqualTo("hello");
			assertThat(context.getEnvironment().getProperty("other")).isNull();
			FeatureFlags flags = context.getBean(FeatureFlags.class);
			putBytes("/flags/broken", new byte[] { (byte) 0xFF, 't', 'r', 'u', 'e' });
			assertThat(flags.isEnabled("broken")).isFalse();
		}
	}

	@Test
	void aDocumentLargerThanEtcdTakesOrThatDoesNotParseIsRefusedAndNothingIsStored() {
		this.contextRunner.run((context) -> {
			ConfigTemplate writer = context.getBean(ConfigTemplate.class);
			StringBuilder large = new StringBuilder();
			while (large.length() < 2 * 1024 * 1024) {
				large.append("key").append(large.length()).append(": ").append("x".repeat(60)).append('\n');
			}
			assertThatException().isThrownBy(() -> writer.putDocument("orders", "data", "yaml", large.toString()))
				.satisfies((failure) -> assertThat(messages(failure)).contains("/config/orders/data")
					.contains("more than etcd takes in one request").contains("nothing was stored"));
			assertThatIllegalArgumentException()
				.isThrownBy(() -> writer.putDocument("orders", "data", "yaml", "a: [unclosed"))
				.withMessageContaining("The yaml document at /config/orders/data cannot be read");
			assertThatIllegalArgumentException().isThrownBy(() -> writer.put("orders", "Bad Name!", "x"))
				.withMessageContaining("'Bad Name!' is not a valid property name");
			assertThatIllegalArgumentException().isThrownBy(() -> writer.put("", "greeting", "x"))
				.withMessageContaining("configuration context");
			assertThat(keys("/config/")).isEmpty();
		});
	}

	private static ConfigurableApplicationContext start() {
		return new SpringApplicationBuilder(ImportingApplication.class).run("--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--spring.application.name=orders", "--spring.config.import=etcd:",
				"--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"--coordination.etcd.discovery.enabled=false");
	}

	private static String messages(Throwable failure) {
		StringBuilder messages = new StringBuilder();
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			messages.append(cause.getMessage()).append('\n');
		}
		return messages.toString();
	}

	private static void put(String key, String value) throws Exception {
		putBytes(key, value.getBytes(StandardCharsets.UTF_8));
	}

	private static void putBytes(String key, byte[] value) throws Exception {
		etcd.client().getKVClient().put(EtcdKeys.bytes(key), ByteSequence.from(value)).get(5, TimeUnit.SECONDS);
	}

	private static long keyCount(String prefix) throws Exception {
		return etcd.client().getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())
			.get(5, TimeUnit.SECONDS)
			.getCount();
	}

	private static List<String> keys(String prefix) throws Exception {
		return etcd.client().getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).withKeysOnly(true).build())
			.get(5, TimeUnit.SECONDS)
			.getKvs()
			.stream()
			.map(KeyValue::getKey)
			.map(EtcdKeys::string)
			.toList();
	}

	static class Orders {

		@DistributedLocked(key = "#id")
		public String process(String id) {
			return id;
		}

		@DistributedLocked(key = "#id.noSuchMethod()")
		public String failing(String id) {
			return id;
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class ImportingApplication {

	}

}
