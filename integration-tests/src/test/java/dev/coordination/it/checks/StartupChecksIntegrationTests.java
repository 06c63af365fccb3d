package dev.coordination.it.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockProperties;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.NotLeaderException;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockNotAcquiredException;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * What the starter checks at start-up and at call time: misspelt properties, {@code @DistributedLocked}
 * keys, and the meaning of {@code coordination.enabled=false} for the annotations.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartupChecksIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	@AfterEach
	void close() {
		this.applications.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void misspeltPropertyIsWarnedOnceWithTheClosestName(CapturedOutput output) {
		start(Application.class, new StandardEnvironment(), "--coordination.etcd.endpoint=http://127.0.0.1:2379");
		assertThat(output.getOut()).containsOnlyOnce(
				"coordination.etcd.endpoint is not a property; did you mean coordination.etcd.endpoints?");
		assertThat(output.getOut()).containsOnlyOnce("is not a property");
	}

	@Test
	void misspeltEnvironmentVariableIsWarnedToo(CapturedOutput output) {
		start(Application.class, environment(Map.of("COORDINATION_ETCD_REQUESTTIMOUT", "2s")));
		assertThat(output.getOut()).containsOnlyOnce(
				"coordination.etcd.requesttimout is not a property; did you mean coordination.etcd.request-timeout?");
	}

	@Test
	void correctPropertiesInEveryFormAreNotWarned(CapturedOutput output) {
		ConfigurableApplicationContext context = start(Application.class,
				environment(Map.of("COORDINATION_ETCD_SESSION_SAFETYMARGIN", "1s", "COORDINATION_ETCD_ENDPOINTS_0_",
						etcd.endpointsAsString().split(",")[0], "COORDINATION_ETCD_INSTANCE_METADATA_REGION", "eu",
						"COORDINATION_ETCD_ELECTION_ELECTIONS_REPORTS_CANDIDATE", "true",
						"COORDINATION_ETCD_LOCK_DEFAULTWAITTIME", "1s")),
				"--spring.config.location=classpath:startup-checks/full-application.yml");
		// the file was read
		assertThat(context.getBean(LockProperties.class).getPrefix()).isEqualTo("/startup-checks/locks");
		assertThat(output.getOut()).doesNotContain("is not a property");
	}

	@Test
	void theWarningIsOffByItsProperty(CapturedOutput output) {
		start(Application.class, new StandardEnvironment(), "--coordination.etcd.endpoint=http://127.0.0.1:2379",
				"--coordination.unknown-properties.warn=false");
		assertThat(output.getOut()).doesNotContain("is not a property");
	}

	@Test
	void keyReferencingAMissingParameterFailsStartUpNamingTheValidNames(CapturedOutput output) {
		assertThatExceptionOfType(RuntimeException.class).isThrownBy(() -> start(BadKeyApplication.class,
				new StandardEnvironment()));
		assertThat(output.getOut()).contains("APPLICATION FAILED TO START")
			.contains("The @DistributedLocked key of method process(String) in bean '" + BadKey.class.getName() + "' (")
			.contains("references #orderId, which is not a parameter of the method")
			.contains("valid names: #id, #p0, #a0, #root, #this");
		assertThat(output.getAll()).doesNotContain("Application run failed");
	}

	@Test
	void keyThatDoesNotParseFailsStartUpOnce(CapturedOutput output) {
		assertThatExceptionOfType(RuntimeException.class).isThrownBy(() -> start(UnparsableKeyApplication.class,
				new StandardEnvironment()));
		assertThat(output.getOut()).contains("APPLICATION FAILED TO START")
			.contains("The @DistributedLocked key of method process(String) in bean")
			.contains("does not parse");
		assertThat(output.getAll()).doesNotContain("Application run failed");
	}

	@Test
	void keyWithANullPartFailsTheCallInsteadOfSharingOneLock() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
					SessionAutoConfiguration.class, LockAutoConfiguration.class))
			.withBean(NullableKey.class)
			.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
					"coordination.etcd.request-timeout=2s")
			.run((context) -> {
				NullableKey bean = context.getBean(NullableKey.class);
				assertThat(bean.process("1")).isEqualTo("done");
				assertThatIllegalArgumentException().isThrownBy(() -> bean.process(null))
					.withMessageContaining(NullableKey.class.getName() + ".process()")
					.withMessageContaining("'bad/' + #x")
					.withMessageContaining("parameter #x is null")
					.withMessageContaining("'bad/null'");
				assertThatIllegalArgumentException().isThrownBy(() -> bean.nested(new Order(null)))
					.withMessageContaining("#order.id is null");
				// a key that handles null itself is fine
				assertThat(bean.withDefault(null)).isEqualTo("done");
				assertThat(bean.calls()).isEqualTo(2);
			});
	}

	@Test
	void withCoordinationOffLeaderOnlyMethodsAreSkippedAndLockedMethodsNotAcquired(CapturedOutput output) {
		ConfigurableApplicationContext context = start(DisabledApplication.class, new StandardEnvironment(),
				"--coordination.enabled=false");
		Jobs jobs = context.getBean(Jobs.class);
		jobs.everyInstance();
		assertThat(jobs.runs()).isZero();
		assertThatExceptionOfType(NotLeaderException.class).isThrownBy(jobs::mustLead)
			.withMessageContaining("coordination.enabled=false");
		assertThat(jobs.report()).isEmpty();
		assertThat(jobs.reactive().blockOptional()).isEmpty();
		assertThat(jobs.stage().join()).isNull();
		assertThatExceptionOfType(LockNotAcquiredException.class).isThrownBy(() -> jobs.locked("7"))
			.withMessageContaining("'orders/7'")
			.withMessageContaining("coordination.enabled=false");
		assertThat(jobs.lockedOrSkipped("7")).isEmpty();
		assertThat(jobs.lockedAsync("7")).failsWithin(java.time.Duration.ofSeconds(5))
			.withThrowableThat()
			.havingRootCause()
			.isInstanceOf(LockNotAcquiredException.class);
		assertThat(jobs.runs()).isZero();
		assertThat(output.getOut()).containsOnlyOnce("coordination.enabled=false: @LeaderOnly methods never run")
			.contains("Affected (5): ")
			.contains(Jobs.class.getName() + ".everyInstance()")
			.containsOnlyOnce("coordination.enabled=false: @DistributedLocked methods never acquire their lock")
			.contains("Affected (3): ");
	}

	@Test
	void withElectionsOffLeaderOnlyMethodsAreSkippedToo(CapturedOutput output) {
		ConfigurableApplicationContext context = start(DisabledApplication.class, new StandardEnvironment(),
				"--coordination.etcd.election.enabled=false");
		Jobs jobs = context.getBean(Jobs.class);
		jobs.everyInstance();
		assertThat(jobs.runs()).isZero();
		assertThat(output.getOut()).containsOnlyOnce("coordination.etcd.election.enabled=false: @LeaderOnly methods")
			.contains("Affected (5): ");
	}

	@Test
	void injectingLeaderElectionsWithCoordinationOffExplainsWhy(CapturedOutput output) {
		assertThatExceptionOfType(RuntimeException.class).isThrownBy(() -> start(InjectsElectionsApplication.class,
				new StandardEnvironment(), "--coordination.enabled=false"));
		assertThat(output.getOut()).contains("APPLICATION FAILED TO START")
			.contains("A bean of type dev.coordination.election.LeaderElections is required, but coordination.enabled=false"
					+ " turns etcd coordination off")
			.contains("Remove coordination.enabled=false");
	}

	private ConfigurableApplicationContext start(Class<?> application, StandardEnvironment environment,
			String... args) {
		List<String> arguments = new ArrayList<>(List.of("--spring.main.web-application-type=none",
				"--coordination.etcd.discovery.enabled=false", "--coordination.etcd.request-timeout=2s"));
		if (environment.getPropertySources().get("systemEnvironment") == null
				|| !environment.getPropertySources().get("systemEnvironment").containsProperty("COORDINATION_ETCD_ENDPOINTS_0_")) {
			arguments.add("--coordination.etcd.endpoints=" + etcd.endpointsAsString());
		}
		arguments.addAll(List.of(args));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(application).environment(environment)
			.run(arguments.toArray(String[]::new));
		this.applications.add(context);
		return context;
	}

	// the process's environment variables replaced by these, read as Boot reads real ones
	private static StandardEnvironment environment(Map<String, Object> variables) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new SystemEnvironmentPropertySource(
					StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
		return environment;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Application {

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	// created first: the analysis names the bean whose key is wrong, not the one that needs it
	@Import({ UsesBadKey.class, BadKey.class })
	static class BadKeyApplication {

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@Import(UnparsableKey.class)
	static class UnparsableKeyApplication {

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@Import(Jobs.class)
	static class DisabledApplication {

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@Import(InjectsElections.class)
	static class InjectsElectionsApplication {

	}

	static class BadKey {

		@DistributedLocked(key = "'orders/' + #orderId")
		public void process(String id) {
		}

	}

	static class UsesBadKey {

		UsesBadKey(BadKey badKey) {
		}

	}

	static class UnparsableKey {

		@DistributedLocked(key = "'orders/' + + #id)")
		public void process(String id) {
		}

	}

	record Order(String id) {
	}

	static class NullableKey {

		final AtomicInteger calls = new AtomicInteger();

		// through the proxy: its own fields are not the target's
		public int calls() {
			return this.calls.get();
		}

		@DistributedLocked(key = "'bad/' + #x", waitTime = "2s")
		public String process(String x) {
			this.calls.incrementAndGet();
			return "done";
		}

		@DistributedLocked(key = "'orders/' + #order.id", waitTime = "2s")
		public String nested(Order order) {
			this.calls.incrementAndGet();
			return "done";
		}

		@DistributedLocked(key = "'bad/' + (#x ?: 'none')", waitTime = "2s")
		public String withDefault(String x) {
			this.calls.incrementAndGet();
			return "done";
		}

	}

	static class Jobs {

		final AtomicInteger runs = new AtomicInteger();

		// through the proxy: its own fields are not the target's
		public int runs() {
			return this.runs.get();
		}

		@LeaderOnly
		public void everyInstance() {
			this.runs.incrementAndGet();
		}

		@LeaderOnly(onNotLeader = LeaderOnly.OnNotLeader.THROW)
		public void mustLead() {
			this.runs.incrementAndGet();
		}

		@LeaderOnly("reports")
		public Optional<String> report() {
			this.runs.incrementAndGet();
			return Optional.of("report");
		}

		@LeaderOnly
		public Mono<String> reactive() {
			return Mono.fromCallable(() -> {
				this.runs.incrementAndGet();
				return "reactive";
			});
		}

		@LeaderOnly
		public CompletableFuture<String> stage() {
			this.runs.incrementAndGet();
			return CompletableFuture.completedFuture("stage");
		}

		@DistributedLocked(key = "'orders/' + #id")
		public String locked(String id) {
			this.runs.incrementAndGet();
			return "locked";
		}

		@DistributedLocked(key = "'orders/' + #id", onTimeout = DistributedLocked.OnTimeout.SKIP)
		public Optional<String> lockedOrSkipped(String id) {
			this.runs.incrementAndGet();
			return Optional.of("locked");
		}

		@DistributedLocked(key = "'orders/' + #id")
		public CompletableFuture<String> lockedAsync(String id) {
			this.runs.incrementAndGet();
			return CompletableFuture.completedFuture("locked");
		}

	}

	static class InjectsElections {

		InjectsElections(LeaderElections elections) {
		}

	}

}
