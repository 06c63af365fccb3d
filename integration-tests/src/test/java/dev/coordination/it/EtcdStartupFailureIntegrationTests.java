package dev.coordination.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.awaitility.Awaitility.await;

/**
 * A start-up that fails because of etcd or a bad {@code coordination.*} property is reported in
 * Spring Boot's "APPLICATION FAILED TO START" block: what etcd did, naming the endpoint, and the
 * property to change; and the start-up grace lets a start succeed against an etcd that comes up
 * within it.
 */
@ExtendWith(OutputCaptureExtension.class)
class EtcdStartupFailureIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	@AfterEach
	void closeApplicationsAndStartEtcd() throws Exception {
		this.applications.forEach(ConfigurableApplicationContext::close);
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void refusedConnectionOfTheConfigurationImportIsAnalyzed(CapturedOutput output) throws IOException {
		int port = freePort();
		assertThatException().isThrownBy(() -> start("etcd:", "http://127.0.0.1:" + port));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Reading configuration contexts /config/orders/, /config/application/ from etcd"
					+ " (spring.config.import) failed: etcd at 127.0.0.1:" + port + " refused the connection.")
			.containsPattern("The starter tried \\d+ times? over \\d+ ms \\(coordination.etcd.connect-timeout 300 ms plus"
					+ " coordination.etcd.startup-grace 300 ms\\)")
			.contains("Start etcd at 127.0.0.1:" + port + ", or correct coordination.etcd.endpoints (now [http://127.0.0.1:"
					+ port + "]), or import it with optional:etcd: to start without it.")
			.doesNotContain("Application run failed")
			.doesNotContain("did not answer");
	}

	@Test
	void optionalImportWarnsOnceNamingTheContextsItStartsWithout(CapturedOutput output) throws IOException {
		int port = freePort();
		start("optional:etcd:", "http://127.0.0.1:" + port);
		String warning = "Reading configuration contexts /config/orders/, /config/application/ from etcd"
				+ " (spring.config.import) failed: etcd at 127.0.0.1:" + port + " refused the connection.";
		assertThat(output).contains(warning)
			.contains("Starting without them (optional:etcd:), and adding the configuration once etcd answers.");
		assertThat(output.toString().split(java.util.regex.Pattern.quote(warning), -1)).hasSize(2);
	}

	@Test
	void silentEndpointOfTheConfigurationImportIsAnalyzedAsNoAnswer(CapturedOutput output) throws IOException {
		// accepts connections (the kernel does, into the backlog) and never answers
		try (ServerSocket silent = new ServerSocket(0)) {
			assertThatException().isThrownBy(() -> start("etcd:", "http://127.0.0.1:" + silent.getLocalPort()));
			assertThat(output).contains("APPLICATION FAILED TO START")
				.containsPattern("failed: etcd at 127.0.0.1:" + silent.getLocalPort() + " did not answer within \\d+ ms"
						+ " \\(etcd at 127.0.0.1:" + silent.getLocalPort() + " accepted the connection but did not answer")
				.contains("or raise coordination.etcd.connect-timeout (now 300 ms) or coordination.etcd.startup-grace"
						+ " (now 300 ms)")
				.doesNotContain("refused the connection");
		}
	}

	@Test
	void failFastAgainstARefusedConnectionIsAnalyzed(CapturedOutput output) throws IOException {
		int port = freePort();
		assertThatException().isThrownBy(() -> startApplication("--coordination.etcd.endpoints=http://127.0.0.1:" + port,
				"--coordination.etcd.fail-fast=true", "--coordination.etcd.connect-timeout=300ms",
				"--coordination.etcd.startup-grace=300ms"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Checking etcd at start-up (coordination.etcd.fail-fast=true) failed: etcd at 127.0.0.1:" + port
					+ " refused the connection.")
			.contains("or set coordination.etcd.fail-fast=false to start without etcd and report it DOWN in health.");
	}

	@Test
	void badPropertyOfTheConfigurationImportNamesThePropertyAndWhatIsValid(CapturedOutput output) {
		assertThatException().isThrownBy(() -> start("etcd:", "127.0.0.1:2379"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("coordination.etcd.endpoints[0]")
			.contains("Must be a URI of the form http://host:port or https://host:port.");
	}

	@Test
	void badPropertyOfTheApplicationNamesThePropertyAndWhatIsValid(CapturedOutput output) {
		assertThatException().isThrownBy(() -> startApplication("--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"--coordination.etcd.startup-grace=-1s"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("coordination.etcd.startup-grace")
			.contains("Must be zero or a positive duration, for example 5s.");
	}

	@Test
	void anEtcdThatStartsWithinTheStartupGraceLetsStartUpSucceed(CapturedOutput output) throws Exception {
		etcd.client().getKVClient().put(EtcdKeys.bytes("/config/orders/greeting"), EtcdKeys.bytes("hello"))
			.get(5, TimeUnit.SECONDS);
		etcd.cluster().member(0).stop();
		// the fail-fast check: after logging is set up, so that the attempt that failed shows
		CompletableFuture<ConfigurableApplicationContext> started = CompletableFuture
			.supplyAsync(() -> startApplication("--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
					"--coordination.etcd.fail-fast=true", "--coordination.etcd.connect-timeout=500ms",
					"--coordination.etcd.startup-grace=60s", "--spring.application.name=orders",
					"--coordination.etcd.instance.host=127.0.0.1",
					"--coordination.etcd.instance.port=8080"));
		// the first attempt failed: etcd comes up within the grace
		await().atMost(Duration.ofSeconds(30)).until(() -> output.toString().contains("trying again within"));
		etcd.cluster().member(0).start();
		ConfigurableApplicationContext context = started.get(60, TimeUnit.SECONDS);
		assertThat(context.getBean(EtcdTemplate.class).get("/config/orders/greeting")).isPresent();
	}

	@Test
	void aTimedOutCallToARefusedEndpointSaysSo() throws IOException {
		int port = freePort();
		EtcdContexts.runner("http://127.0.0.1:" + port)
			.withPropertyValues("coordination.etcd.request-timeout=1s")
			.run((context) -> {
				EtcdTemplate template = context.getBean(EtcdTemplate.class);
				// gRPC's first connection attempt: then the channel knows the connection fails
				await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatException()
					.isThrownBy(() -> template.get("/a"))
					.withMessage("etcd get /a failed: connecting to etcd at 127.0.0.1:" + port
							+ " fails: refused or unreachable (no answer within 1000 ms, coordination.etcd.request-timeout;"
							+ " the outcome is unknown)"));
			});
	}

	@Test
	void aTimedOutCallToASilentEndpointSaysItGotNoAnswer() throws IOException {
		try (ServerSocket silent = new ServerSocket(0)) {
			EtcdContexts.runner("http://127.0.0.1:" + silent.getLocalPort())
				.withPropertyValues("coordination.etcd.request-timeout=1s")
				.run((context) -> assertThatException().isThrownBy(() -> context.getBean(EtcdTemplate.class).get("/a"))
					.withMessage("etcd get /a failed: no answer within 1000 ms (coordination.etcd.request-timeout);"
							+ " the outcome is unknown"));
		}
	}

	private ConfigurableApplicationContext start(String location, String endpoints, String... extra) {
		List<String> args = new ArrayList<>(List.of("--coordination.enabled=false",
				"--coordination.etcd.endpoints=" + endpoints, "--spring.application.name=orders",
				"--spring.config.import=" + location, "--coordination.etcd.connect-timeout=300ms",
				"--coordination.etcd.startup-grace=300ms"));
		args.addAll(List.of(extra));
		return startApplication(args.toArray(String[]::new));
	}

	private ConfigurableApplicationContext startApplication(String... args) {
		List<String> all = new ArrayList<>(List.of("--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off"));
		all.addAll(List.of(args));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
			.run(all.toArray(String[]::new));
		this.applications.add(context);
		return context;
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Application {

	}

}
