package dev.coordination.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.coordination.config.FeatureFlags;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdHealthIndicator;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import dev.coordination.test.tls.TestCertificates.Issued;
import dev.coordination.test.tls.TestCertificates;
import io.etcd.jetcd.KeyValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.util.FileSystemUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * TLS to etcd through a Spring Boot SSL bundle, with certificates generated for the test: server
 * verification, mutual TLS, and the authority override.
 */
@ExtendWith(OutputCaptureExtension.class)
class EtcdTlsIntegrationTests {

	private static final Path certificates = temporaryDirectory();

	private static final TestCertificates authority = TestCertificates.authority(certificates, "ca");

	private static final Issued server = authority.server("server", "etcd.test");

	private static final Issued client = authority.client("app");

	private static final TestCertificates otherAuthority = TestCertificates.authority(certificates, "other-ca");

	@RegisterExtension
	static final EtcdExtension mutualTls = EtcdExtension.create(EtcdSpec.builder()
		.tls(server.certificate(), server.privateKey(), authority.caCertificate(), true)
		.build());

	// etcd asks for client certificates whenever it has a trusted CA file: server-only TLS has none.
	@RegisterExtension
	static final EtcdExtension serverTls = EtcdExtension.create(EtcdSpec.builder()
		.tls(server.certificate(), server.privateKey(), null, false)
		.build());

	@AfterAll
	static void deleteCertificates() throws IOException {
		FileSystemUtils.deleteRecursively(certificates);
	}

	@Test
	void mutualTlsWithClientCertificateWritesReadsAndIsHealthy() {
		withClientCertificate(runner(mutualTls)).run((context) -> {
			EtcdTemplate template = context.getBean(EtcdTemplate.class);
			template.put("/tls/key", "secret value");
			assertThat(template.get("/tls/key")).map(KeyValue::getValue).map(EtcdKeys::string).contains("secret value");
			// the indicator answers from a background check: UNKNOWN until the first one is in
			EtcdHealthIndicator health = context.getBean(EtcdHealthIndicator.class);
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(health.health().getStatus()).isEqualTo(Status.UP));
		});
	}

	@Test
	void mutualTlsWithoutClientCertificateIsRefused() {
		trustingOnly(runner(mutualTls), authority.caCertificate()).run((context) -> {
			assertThatExceptionOfType(EtcdAccessException.class)
				.isThrownBy(() -> context.getBean(EtcdTemplate.class).put("/tls/key", "x"));
			EtcdHealthIndicator health = context.getBean(EtcdHealthIndicator.class);
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(health.health().getStatus()).isEqualTo(Status.DOWN));
		});
	}

	@Test
	void serverTlsWithoutClientCertificateWorks() {
		trustingOnly(runner(serverTls), authority.caCertificate()).run((context) -> {
			EtcdTemplate template = context.getBean(EtcdTemplate.class);
			template.put("/tls/server-only", "ok");
			assertThat(template.get("/tls/server-only")).isPresent();
		});
	}

	@Test
	void serverCertificateFromAnUntrustedAuthorityIsRejected() {
		trustingOnly(runner(serverTls), otherAuthority.caCertificate())
			.run((context) -> assertThatExceptionOfType(EtcdAccessException.class)
				.isThrownBy(() -> context.getBean(EtcdTemplate.class).put("/tls/key", "x")));
	}

	@Test
	void authorityNamedInTheCertificateIsAccepted() {
		trustingOnly(runner(serverTls), authority.caCertificate())
			.withPropertyValues("coordination.etcd.authority=etcd.test")
			.run((context) -> {
				context.getBean(EtcdTemplate.class).put("/tls/authority", "ok");
				assertThat(context.getBean(EtcdTemplate.class).get("/tls/authority")).isPresent();
			});
	}

	@Test
	void authorityNotNamedInTheCertificateIsRejected() {
		trustingOnly(runner(serverTls), authority.caCertificate())
			.withPropertyValues("coordination.etcd.authority=wrong.test")
			.run((context) -> assertThatExceptionOfType(EtcdAccessException.class)
				.isThrownBy(() -> context.getBean(EtcdTemplate.class).put("/tls/key", "x")));
	}

	@Test
	void everyCapabilityWorksOverMutualTlsTheConfigurationImportIncluded() {
		withClientCertificate(runner(mutualTls)).run((writer) -> {
			EtcdTemplate etcd = writer.getBean(EtcdTemplate.class);
			etcd.put("/config/secure/greeting", "over tls");
			try (ConfigurableApplicationContext context = new SpringApplicationBuilder(TlsApplication.class).run(
					"--spring.main.web-application-type=none", "--spring.main.banner-mode=off", "--spring.application.name=secure",
					"--spring.config.import=etcd:", "--coordination.etcd.endpoints=" + mutualTls.endpointsAsString(),
					"--coordination.etcd.ssl.bundle=etcd", "--coordination.etcd.instance.port=8080",
					"--coordination.etcd.instance.host=127.0.0.1",
					"--spring.ssl.bundle.pem.etcd.truststore.certificate=file:" + authority.caCertificate(),
					"--spring.ssl.bundle.pem.etcd.keystore.certificate=file:" + client.certificate(),
					"--spring.ssl.bundle.pem.etcd.keystore.private-key=file:" + client.privateKey())) {
				assertThat(context.getEnvironment().getProperty("greeting")).isEqualTo("over tls");
				etcd.put("/config/secure/greeting", "changed");
				await().atMost(Duration.ofSeconds(2))
					.until(() -> "changed".equals(context.getEnvironment().getProperty("greeting")));
				// every other capability over the same mutual TLS
				assertThat(context.getBean(LeaderElections.class).election(LeaderElection.DEFAULT)
					.awaitLeadership(Duration.ofSeconds(10))).isTrue();
				DistributedLock lock = context.getBean(DistributedLockRegistry.class).obtain("tls");
				assertThat(lock.tryLock(5, TimeUnit.SECONDS)).isTrue();
				lock.unlock();
				await().atMost(Duration.ofSeconds(10))
					.until(() -> context.getBean(ServiceDiscovery.class).instances("secure").size() == 1);
				context.getBean(FeatureFlags.class).enable("over-tls");
				assertThat(context.getBean(FeatureFlags.class).isEnabled("over-tls")).isTrue();
			}
			finally {
				etcd.delete("/config/secure/greeting");
			}
		});
	}

	@Test
	void untrustedServerCertificateOfTheConfigurationImportIsAnalyzed(CapturedOutput output) {
		String address = serverTls.endpointsAsString().substring("https://".length());
		assertThatException().isThrownBy(() -> startImport(serverTls.endpointsAsString(),
				"--coordination.etcd.ssl.bundle=etcd",
				"--spring.ssl.bundle.pem.etcd.truststore.certificate=file:" + otherAuthority.caCertificate()));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("failed: the TLS handshake failed: etcd at " + address
					+ " presented a certificate that is not trusted or does not match the host name (")
			.contains("Make the SSL bundle named by coordination.etcd.ssl.bundle (now 'etcd') trust the authority that"
					+ " signed etcd's certificate (spring.ssl.bundle.pem.etcd.truststore.certificate)")
			.doesNotContain("did not answer within");
	}

	@Test
	void plaintextEndpointOfATlsEtcdIsAnalyzed(CapturedOutput output) {
		String address = serverTls.endpointsAsString().substring("https://".length());
		assertThatException().isThrownBy(() -> startImport("http://" + address));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("failed: etcd at " + address + " speaks TLS, but the endpoint is configured as http://.")
			.contains("Use https:// endpoints in coordination.etcd.endpoints and name an SSL bundle");
	}

	private static void startImport(String endpoints, String... extra) {
		List<String> args = new ArrayList<>(List.of("--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--coordination.enabled=false", "--spring.application.name=secure",
				"--spring.config.import=etcd:", "--coordination.etcd.endpoints=" + endpoints,
				"--coordination.etcd.connect-timeout=500ms", "--coordination.etcd.startup-grace=500ms"));
		args.addAll(List.of(extra));
		new SpringApplicationBuilder(TlsApplication.class).run(args.toArray(String[]::new)).close();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TlsApplication {

	}

	private static ApplicationContextRunner runner(EtcdExtension etcd) {
		assertThat(etcd.endpointsAsString()).startsWith("https://");
		return EtcdContexts.runner(etcd.endpointsAsString())
			.withPropertyValues("coordination.etcd.ssl.bundle=etcd", "coordination.etcd.request-timeout=2s");
	}

	private static ApplicationContextRunner withClientCertificate(ApplicationContextRunner runner) {
		return trustingOnly(runner, authority.caCertificate()).withPropertyValues(
				"spring.ssl.bundle.pem.etcd.keystore.certificate=file:" + client.certificate(),
				"spring.ssl.bundle.pem.etcd.keystore.private-key=file:" + client.privateKey());
	}

	private static ApplicationContextRunner trustingOnly(ApplicationContextRunner runner, Path caCertificate) {
		return runner.withPropertyValues("spring.ssl.bundle.pem.etcd.truststore.certificate=file:" + caCertificate);
	}

	private static Path temporaryDirectory() {
		try {
			return Files.createTempDirectory("coordination-tls-");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
