package dev.coordination.it.config;

import java.math.RoundingMode;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.config.ConfigTemplate;
import dev.coordination.config.internal.EtcdConfigTemplate;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.convert.ConversionFailedException;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * {@link ConfigTemplate}'s reads against a real etcd: typed values converted as Boot converts
 * configuration, absent values and defaults, values that do not convert, a context's properties at
 * one revision, and the same values as an application importing the context sees.
 */
class ConfigTemplateReadIntegrationTests {

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
	void valuesConvertAsBootConvertsConfiguration() throws Exception {
		ConfigTemplate config = template("key-value");
		Map<String, String> properties = new LinkedHashMap<>();
		properties.put("greeting.message", "hello");
		properties.put("database.port", "5432");
		properties.put("database.max-rows", "10000000000");
		properties.put("feature.enabled", "true");
		properties.put("feature.switched", "on");
		properties.put("timeouts.connect", "10s");
		properties.put("timeouts.read", "500ms");
		properties.put("timeouts.iso", "PT1M");
		properties.put("upload.max-size", "10MB");
		properties.put("rounding", "half-up");
		config.putAll("orders", properties);
		// a key not in the canonical form, as another client may write it: found as the binder finds it
		put("/config/orders/database/poolSize", "7");

		assertThat(config.get("orders", "greeting.message")).hasValue("hello");
		assertThat(config.get("orders", "greeting.message", String.class)).hasValue("hello");
		assertThat(config.get("orders", "database.port", int.class)).hasValue(5432);
		assertThat(config.get("orders", "database.port", Integer.class)).hasValue(5432);
		assertThat(config.get("orders", "database.max-rows", long.class)).hasValue(10_000_000_000L);
		assertThat(config.get("orders", "feature.enabled", boolean.class)).hasValue(true);
		assertThat(config.get("orders", "feature.switched", Boolean.class)).hasValue(true);
		assertThat(config.get("orders", "timeouts.connect", Duration.class)).hasValue(Duration.ofSeconds(10));
		assertThat(config.get("orders", "timeouts.read", Duration.class)).hasValue(Duration.ofMillis(500));
		assertThat(config.get("orders", "timeouts.iso", Duration.class)).hasValue(Duration.ofMinutes(1));
		assertThat(config.get("orders", "upload.max-size", DataSize.class)).hasValue(DataSize.ofMegabytes(10));
		assertThat(config.get("orders", "rounding", RoundingMode.class)).hasValue(RoundingMode.HALF_UP);
		assertThat(config.get("orders", "database.pool-size", int.class)).hasValue(7);
		assertThat(config.get("orders", "database.port", int.class, 1)).isEqualTo(5432);
	}

	@Test
	void aPropertyTheContextDoesNotSetIsEmptyOrTheDefault() throws Exception {
		ConfigTemplate config = template("key-value");
		config.put("application", "database.port", "5432");
		config.put("orders", "database.host", "db-1");
		put("/config/orders/database/timeout", "");

		assertThat(config.get("orders", "database.port")).isEmpty();
		assertThat(config.get("orders", "database.port", int.class)).isEmpty();
		assertThat(config.get("orders", "database.port", Integer.class, 6543)).isEqualTo(6543);
		assertThat(config.get("orders", "database.port", Duration.class, Duration.ofSeconds(3)))
			.isEqualTo(Duration.ofSeconds(3));
		assertThat(config.get("application", "database.port", int.class)).hasValue(5432);
		assertThat(config.get("payments", "database.host")).isEmpty();
		// an empty value is no number, as in Environment.getProperty; it is an empty String
		assertThat(config.get("orders", "database.timeout", Integer.class, 30)).isEqualTo(30);
		assertThat(config.get("orders", "database.timeout")).hasValue("");
	}

	@Test
	void aValueThatDoesNotConvertIsAnErrorNamingContextPropertyKeyAndTypeEvenWithADefault() throws Exception {
		ConfigTemplate config = template("key-value");
		config.putAll("orders", Map.of("database.port", "abc", "timeouts.connect", "10 parsecs", "rounding", "sideways",
				"database.password", "hunter2", "upload.max-size", "lots"));

		assertThatIllegalArgumentException().isThrownBy(() -> config.get("orders", "database.port", Integer.class))
			.withMessage("orders: database.port (key /config/orders/database/port) holds 'abc', which is not a"
					+ " java.lang.Integer")
			.withCauseInstanceOf(ConversionFailedException.class);
		// set but not convertible is an error, never the default
		assertThatIllegalArgumentException().isThrownBy(() -> config.get("orders", "database.port", int.class, 5432))
			.withMessageContaining("(key /config/orders/database/port)")
			.withMessageContaining("java.lang.Integer");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> config.get("orders", "timeouts.connect", Duration.class, Duration.ofSeconds(1)))
			.withMessage("orders: timeouts.connect (key /config/orders/timeouts/connect) holds '10 parsecs', which is"
					+ " not a java.time.Duration; use a duration such as 10s, 500ms, 5m or PT1M")
			.havingCause()
			.isInstanceOf(ConversionFailedException.class)
			.withMessageContaining("10 parsecs");
		assertThatIllegalArgumentException().isThrownBy(() -> config.get("orders", "rounding", RoundingMode.class))
			.withMessageContaining("holds 'sideways', which is not a java.math.RoundingMode; use one of [UP, DOWN,");
		assertThatIllegalArgumentException().isThrownBy(() -> config.get("orders", "upload.max-size", DataSize.class))
			.withMessageContaining("(key /config/orders/upload/max-size) holds 'lots', which is not a"
					+ " org.springframework.util.unit.DataSize; use a data size such as 512KB or 10MB");
		// the value of a secret stays out of the message and out of every cause
		IllegalArgumentException secret = catchThrowableOfType(IllegalArgumentException.class,
				() -> config.get("orders", "database.password", Integer.class));
		assertThat(secret).hasMessage("orders: database.password (key /config/orders/database/password) holds a value"
				+ " that is not a java.lang.Integer (the value is left out: the name looks like that of a secret)");
		assertThat(secret.getCause()).isNotNull();
		for (Throwable cause = secret; cause != null; cause = cause.getCause()) {
			assertThat(String.valueOf(cause.getMessage())).doesNotContain("hunter2");
		}
	}

	@Test
	void getAllGivesTheContextsPropertiesUnderANameSortedByName() throws Exception {
		ConfigTemplate config = template("key-value");
		Map<String, String> properties = new LinkedHashMap<>();
		properties.put("database.port", "5432");
		properties.put("database.host", "db-1");
		properties.put("database.pool.max-size", "10");
		properties.put("databases.url", "not under database");
		properties.put("database", "the parent itself");
		properties.put("servers[10]", "k");
		properties.put("servers[2]", "c");
		config.putAll("orders", properties);
		config.put("application", "database.user", "another context");
		put("/config/orders/database/minIdle", "2");

		assertThat(config.getAll("orders", "database")).containsExactly(Map.entry("database", "the parent itself"),
				Map.entry("database.host", "db-1"), Map.entry("database.minidle", "2"),
				Map.entry("database.pool.max-size", "10"), Map.entry("database.port", "5432"));
		assertThat(config.getAll("orders", "database.")).isEqualTo(config.getAll("orders", "database"));
		assertThat(config.getAll("orders", "database.pool")).containsExactly(Map.entry("database.pool.max-size", "10"));
		assertThat(config.getAll("orders", "servers")).containsExactly(Map.entry("servers[2]", "c"),
				Map.entry("servers[10]", "k"));
		assertThat(config.getAll("orders")).hasSize(8).containsEntry("databases.url", "not under database");
		assertThat(config.getAll("orders", "")).isEqualTo(config.getAll("orders"));
		assertThat(config.getAll("orders", "nothing")).isEmpty();
		assertThat(config.getAll("payments")).isEmpty();
		assertThatExceptionOfType(UnsupportedOperationException.class)
			.isThrownBy(() -> config.getAll("orders").put("database.port", "1"));
	}

	@Test
	void getAllReadsTheContextAtOneRevision() {
		ConfigTemplate config = template("key-value");
		int keys = 8;
		AtomicBoolean stop = new AtomicBoolean();
		AtomicInteger generation = new AtomicInteger();
		config.putAll("orders", batch(keys, 0));
		// a writer replaces every property of the batch in one transaction, again and again
		CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
			while (!stop.get()) {
				config.putAll("orders", batch(keys, generation.incrementAndGet()));
			}
		});
		Set<String> seen = ConcurrentHashMap.newKeySet();
		try {
			// every read is exactly one of the writer's batches; reads go on until they saw 20 of them
			await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1)).until(() -> {
				Map<String, String> read = config.getAll("orders", "batch");
				String value = read.get("batch.k0");
				assertThat(read).isEqualTo(batch(keys, Integer.parseInt(value)));
				seen.add(value);
				return seen.size() >= 20;
			});
		}
		finally {
			stop.set(true);
			writer.join();
		}
	}

	@Test
	void readsGiveWhatAnApplicationImportingTheContextSees() throws Exception {
		put("/config/orders/data", """
				database:
				  port: 5432
				  maxSize: 20
				timeouts:
				  read: 2s
				servers:
				  - a.example
				  - b.example
				""");
		// not read by an import of documents: the document holds the context's properties
		put("/config/orders/database/port", "9999");
		put("/config/orders/database/host", "from a key");
		ConfigurableApplicationContext application = start("--coordination.etcd.config.format=yaml");
		Environment environment = application.getEnvironment();
		ConfigTemplate config = application.getBean(ConfigTemplate.class);

		Map<String, String> all = config.getAll("orders");
		assertThat(all).containsExactly(Map.entry("database.maxsize", "20"), Map.entry("database.port", "5432"),
				Map.entry("servers[0]", "a.example"), Map.entry("servers[1]", "b.example"),
				Map.entry("timeouts.read", "2s"));
		all.forEach((name, value) -> assertThat(environment.getProperty(name)).as(name).isEqualTo(value));
		assertThat(environment.getProperty("database.host")).isNull();
		assertThat(config.get("orders", "database.host")).isEmpty();
		assertThat(config.get("orders", "database.port", int.class)).hasValue(5432)
			.hasValue(environment.getProperty("database.port", Integer.class));
		assertThat(config.get("orders", "database.max-size", int.class)).hasValue(20)
			.hasValue(environment.getProperty("database.max-size", Integer.class));
		assertThat(config.get("orders", "timeouts.read", Duration.class)).hasValue(Duration.ofSeconds(2));

		// a value of a document that does not convert names the document's key
		put("/config/orders/data", "database:\n  port: abc\n");
		assertThatIllegalArgumentException().isThrownBy(() -> config.get("orders", "database.port", int.class))
			.withMessage("orders: database.port (key /config/orders/data) holds 'abc', which is not a java.lang.Integer");
		// a document that does not parse fails the read, as it fails the import
		put("/config/orders/data", "database: [unclosed");
		assertThatIllegalStateException().isThrownBy(() -> config.getAll("orders"))
			.withMessageContaining("The yaml document at /config/orders/data")
			.withMessageContaining("cannot be read");

		// with one key per property the document key is a property like any other, and the keys count
		ConfigTemplate keyValue = template("key-value");
		assertThat(keyValue.get("orders", "database.port", int.class)).hasValue(9999);
		assertThat(keyValue.getAll("orders")).containsOnlyKeys("data", "database.host", "database.port");
		// a properties document, read as the import reads it
		put("/config/orders/data", "database.port=1234\ndatabase.host=from the document\n");
		assertThat(template("properties").getAll("orders")).containsExactly(
				Map.entry("database.host", "from the document"), Map.entry("database.port", "1234"));
	}

	@Test
	void invalidNamesAreRefusedBeforeEtcdIsAsked() throws Exception {
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		try (Client client = Client.builder().endpoints("http://127.0.0.1:" + port).build()) {
			ConfigTemplate unreachable = new EtcdConfigTemplate(new EtcdTemplate(client, Duration.ofMillis(500)),
					"/config", "/config-snapshots", "key-value", "data");
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.get("", "database.port"))
				.withMessage("configuration context must not be null or empty");
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.get("orders", "Database.Port", int.class))
				.withMessageStartingWith("'Database.Port' is not a valid property name: use the canonical form");
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.get("orders", "", int.class, 1))
				.withMessageStartingWith("'' is not a valid property name");
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.get("orders", "database..port"))
				.withMessageStartingWith("'database..port' is not a valid property name");
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.put("orders", "database..port", "1"))
				.withMessageStartingWith("'database..port' is not a valid property name");
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.getAll("orders", "database..pool"))
				.withMessageStartingWith("'database..pool' is not a valid property prefix");
			// as for put, which no longer writes the context's own key for an empty name
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.put("orders", "", "x"))
				.withMessageStartingWith("'' is not a valid property name");
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.getAll("orders", "Not Valid"))
				.withMessageStartingWith("'Not Valid' is not a valid property prefix");
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.getAll(""))
				.withMessage("configuration context must not be null or empty");
			assertThatIllegalArgumentException().isThrownBy(() -> unreachable.get("orders", "task", Runnable.class))
				.withMessageStartingWith("Configuration values cannot be converted to java.lang.Runnable");
			// etcd's failures come as from every other method
			assertThatExceptionOfType(EtcdAccessException.class)
				.isThrownBy(() -> unreachable.get("orders", "database.port"));
			assertThatExceptionOfType(EtcdAccessException.class).isThrownBy(() -> unreachable.getAll("orders"));
		}
	}

	private static Map<String, String> batch(int keys, int generation) {
		Map<String, String> batch = new LinkedHashMap<>();
		for (int i = 0; i < keys; i++) {
			batch.put("batch.k" + i, String.valueOf(generation));
		}
		return batch;
	}

	private static ConfigTemplate template(String format) {
		return new EtcdConfigTemplate(new EtcdTemplate(etcd.client(), Duration.ofSeconds(5)), "/config",
				"/config-snapshots", format, "data");
	}

	private void put(String key, String value) throws Exception {
		etcd.client().getKVClient().put(EtcdKeys.bytes(key), EtcdKeys.bytes(value)).get(5, TimeUnit.SECONDS);
	}

	private ConfigurableApplicationContext start(String... extra) {
		List<String> args = new ArrayList<>(List.of("--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"--spring.application.name=orders", "--spring.config.import=etcd:",
				"--spring.config.location=optional:classpath:/none/"));
		args.addAll(List.of(extra));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
			.run(args.toArray(String[]::new));
		this.applications.add(context);
		return context;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Application {

	}

}
