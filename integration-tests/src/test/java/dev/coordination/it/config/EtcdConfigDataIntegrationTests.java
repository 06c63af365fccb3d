package dev.coordination.it.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.config.internal.EtcdConfigDataLoader;
import dev.coordination.config.internal.EtcdConfigDataResource;
import dev.coordination.config.internal.EtcdConfigSource;
import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.EtcdStartupException;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.bootstrap.BootstrapRegistry.InstanceSupplier;
import org.springframework.boot.bootstrap.DefaultBootstrapContext;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * {@code spring.config.import=etcd:} reads the configuration contexts of an application at start-up,
 * in their order of precedence, from a real etcd.
 */
class EtcdConfigDataIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	@BeforeEach
	@AfterEach
	void noConfiguration() throws Exception {
		this.applications.forEach(ConfigurableApplicationContext::close);
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/"), DeleteOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
	}

	@Test
	void contextsApplyInIncreasingPrecedenceWithProfilesAndOneKeyPerProperty() throws Exception {
		put("/config/application/greeting", "hello from application");
		put("/config/application/timeout", "1s");
		put("/config/application/shared/only", "application");
		put("/config/application,dev/greeting", "hello from application,dev");
		put("/config/orders/greeting", "hello from orders");
		put("/config/orders/database/host", "db.example");
		put("/config/orders,dev/database/host", "db.dev");
		put("/config/payments/greeting", "not ours");
		Environment environment = start("orders", "dev", "etcd:").getEnvironment();
		assertThat(environment.getProperty("greeting")).isEqualTo("hello from orders");
		assertThat(environment.getProperty("database.host")).isEqualTo("db.dev");
		assertThat(environment.getProperty("timeout")).isEqualTo("1s");
		assertThat(environment.getProperty("shared.only")).isEqualTo("application");
		Environment withoutProfile = start("orders", null, "etcd:").getEnvironment();
		assertThat(withoutProfile.getProperty("database.host")).isEqualTo("db.example");
		Environment otherApplication = start("billing", "dev", "etcd:").getEnvironment();
		assertThat(otherApplication.getProperty("greeting")).isEqualTo("hello from application,dev");
	}

	@Test
	void theContextsOfAnImportAreReadInOneTransactionAtOneRevision() throws Exception {
		put("/config/application/greeting", "hello from application");
		put("/config/orders/greeting", "hello from orders");
		long revision = etcd.client().getKVClient().put(EtcdKeys.bytes("/config/orders,dev/greeting"),
				EtcdKeys.bytes("hello from orders,dev")).get(5, TimeUnit.SECONDS).getHeader().getRevision();
		Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
		ClientInterceptor counter = new ClientInterceptor() {

			@Override
			public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
				calls.computeIfAbsent(method.getBareMethodName(), (name) -> new AtomicInteger()).incrementAndGet();
				return next.newCall(method, options);
			}

		};
		List<EtcdConfigDataResource> contexts = List.of(context("application", 0), context("orders", 1),
				context("orders,dev", 2));
		try (EtcdConfigSource source = new EtcdConfigSource(List.of(etcd.endpointsAsString()), Duration.ofSeconds(5),
				Client.builder().endpoints(etcd.cluster().endpoints()).interceptor(counter).build())) {
			DefaultBootstrapContext bootstrap = new DefaultBootstrapContext();
			bootstrap.register(EtcdConfigSource.class, InstanceSupplier.of(source));
			EtcdConfigDataLoader loader = new EtcdConfigDataLoader((destination) -> destination.get());
			source.expect(contexts.stream().map(EtcdConfigDataResource::getPath).toList());
			loader.load(() -> bootstrap, contexts.get(0));
			// a change after the first context was loaded is not in the others: they were read with it
			put("/config/orders/greeting", "changed");
			loader.load(() -> bootstrap, contexts.get(1));
			loader.load(() -> bootstrap, contexts.get(2));
			assertThat(calls).containsOnlyKeys("Txn");
			assertThat(calls.get("Txn")).hasValue(1);
			EtcdConfigState state = source.state();
			assertThat(state.revision()).isEqualTo(revision);
			assertThat(state.properties()).containsExactly(
					Map.entry("/config/application/", Map.<String, Object>of("greeting", "hello from application")),
					Map.entry("/config/orders/", Map.<String, Object>of("greeting", "hello from orders")),
					Map.entry("/config/orders,dev/", Map.<String, Object>of("greeting", "hello from orders,dev")));
		}
	}

	private static EtcdConfigDataResource context(String name, int precedence) {
		return new EtcdConfigDataResource(name, "/config/", "/config/" + name + "/", precedence, false, "key-value",
				"data");
	}

	@Test
	void yamlAndPropertiesDocumentsInTheDataKeyAreRead() throws Exception {
		put("/config/application/data", "greeting: hello from yaml\ndatabase:\n  host: db.yaml\n  port: 5432\n");
		put("/config/orders/data", "database:\n  host: db.orders\n");
		Environment yaml = start("orders", null, "etcd:", etcd.endpointsAsString(), "--coordination.etcd.config.format=yaml")
			.getEnvironment();
		assertThat(yaml.getProperty("greeting")).isEqualTo("hello from yaml");
		assertThat(yaml.getProperty("database.host")).isEqualTo("db.orders");
		assertThat(yaml.getProperty("database.port")).isEqualTo("5432");
		put("/config/orders/settings", "greeting=hello from properties\ntimeout=2s\n");
		Environment properties = start("orders", null, "etcd:", etcd.endpointsAsString(),
				"--coordination.etcd.config.format=properties", "--coordination.etcd.config.data-key=settings")
			.getEnvironment();
		assertThat(properties.getProperty("greeting")).isEqualTo("hello from properties");
		assertThat(properties.getProperty("timeout")).isEqualTo("2s");
	}

	@Test
	void anUnreadableDocumentOrAnUnknownFormatFailsStartUpNamingTheKeyOrTheProperty() throws Exception {
		put("/config/orders/data", "database: [unclosed\n");
		assertThatIllegalStateException()
			.isThrownBy(() -> start("orders", null, "etcd:", etcd.endpointsAsString(),
					"--coordination.etcd.config.format=yaml"))
			.withMessageContaining("The yaml document at /config/orders/data (revision ")
			.withMessageContaining("cannot be read");
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> start("orders", null, "etcd:", etcd.endpointsAsString(),
					"--coordination.etcd.config.format=json"))
			.withMessageContaining("coordination.etcd.config.format")
			.withMessageContaining("key-value");
	}

	@Test
	void aBadImportPropertyFailsStartUpEvenWhereTheFailureListenerDoesNotRun() {
		// an application that sets its own listeners can drop the starter's EtcdConfigImportFailureListener
		SpringApplication application = new SpringApplication(Empty.class);
		application.setListeners(application.getListeners()
			.stream()
			.filter((listener) -> !listener.getClass().getSimpleName().equals("EtcdConfigImportFailureListener"))
			.toList());
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.applications.add(application.run("--spring.main.web-application-type=none",
					"--spring.main.banner-mode=off", "--coordination.enabled=false",
					"--coordination.etcd.endpoints=" + etcd.endpointsAsString(), "--spring.application.name=orders",
					"--spring.config.import=etcd:", "--coordination.etcd.config.format=json")))
			.withMessageContaining("coordination.etcd.config.format");
	}

	@Test
	void anExplicitPrefixIsRead() throws Exception {
		put("/other/orders/greeting", "from the other prefix");
		put("/config/orders/greeting", "from the default prefix");
		assertThat(start("orders", null, "etcd:/other").getEnvironment().getProperty("greeting"))
			.isEqualTo("from the other prefix");
	}

	@Test
	void aRequiredImportFailsStartUpWhenEtcdIsUnreachableAndAnOptionalOneStartsWithout() {
		assertThatExceptionOfType(EtcdStartupException.class)
			.isThrownBy(() -> start("orders", null, "etcd:", "http://127.0.0.1:1",
					"--coordination.etcd.connect-timeout=500ms", "--coordination.etcd.startup-grace=200ms"))
			.withMessageStartingWith("Reading configuration contexts /config/orders/, /config/application/ from etcd")
			.withMessageContaining("failed: etcd at 127.0.0.1:1 refused the connection.")
			.withMessageContaining("coordination.etcd.endpoints")
			.withMessageContaining("optional:etcd:");
		ConfigurableApplicationContext context = start("orders", null, "optional:etcd:", "http://127.0.0.1:1",
				"--coordination.etcd.connect-timeout=500ms");
		assertThat(context.getEnvironment().getProperty("greeting")).isNull();
	}

	private void put(String key, String value) throws Exception {
		etcd.client().getKVClient().put(EtcdKeys.bytes(key), EtcdKeys.bytes(value)).get(5, TimeUnit.SECONDS);
	}

	private ConfigurableApplicationContext start(String application, String profile, String location) {
		return start(application, profile, location, etcd.endpointsAsString());
	}

	private ConfigurableApplicationContext start(String application, String profile, String location, String endpoints,
			String... extra) {
		List<String> args = new ArrayList<>(List.of("--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--coordination.enabled=false",
				"--coordination.etcd.endpoints=" + endpoints, "--spring.application.name=" + application,
				"--spring.config.import=" + location));
		if (profile != null) {
			args.add("--spring.profiles.active=" + profile);
		}
		args.addAll(List.of(extra));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Empty.class).run(args.toArray(String[]::new));
		this.applications.add(context);
		return context;
	}

	@SpringBootConfiguration
	static class Empty {

	}

}
