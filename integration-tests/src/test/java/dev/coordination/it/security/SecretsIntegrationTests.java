package dev.coordination.it.security;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Auth;
import io.etcd.jetcd.auth.Permission;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * The etcd password stays secret: masked in {@code /actuator/env} and {@code /actuator/configprops}
 * even when they show values, and never in a log line or an exception message, also when etcd
 * refuses it.
 */
@ExtendWith(OutputCaptureExtension.class)
class SecretsIntegrationTests {

	private static final String PASSWORD = "s3cr3t-Passw0rd";

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	@BeforeAll
	static void enableAuthentication() throws Exception {
		Auth auth = etcd.client().getAuthClient();
		auth.roleAdd(EtcdKeys.bytes("root")).get(5, TimeUnit.SECONDS);
		auth.userAdd(EtcdKeys.bytes("root"), EtcdKeys.bytes("root-" + PASSWORD)).get(5, TimeUnit.SECONDS);
		auth.userGrantRole(EtcdKeys.bytes("root"), EtcdKeys.bytes("root")).get(5, TimeUnit.SECONDS);
		auth.roleAdd(EtcdKeys.bytes("app")).get(5, TimeUnit.SECONDS);
		auth.roleGrantPermission(EtcdKeys.bytes("app"), EtcdKeys.bytes("/"), EtcdKeys.bytes("0"),
				Permission.Type.READWRITE).get(5, TimeUnit.SECONDS);
		auth.userAdd(EtcdKeys.bytes("app"), EtcdKeys.bytes(PASSWORD)).get(5, TimeUnit.SECONDS);
		auth.userGrantRole(EtcdKeys.bytes("app"), EtcdKeys.bytes("app")).get(5, TimeUnit.SECONDS);
		auth.authEnable().get(5, TimeUnit.SECONDS);
	}

	@Test
	@SuppressWarnings("unchecked")
	void thePasswordIsMaskedInEnvAndConfigpropsEvenWhenTheyShowValues(CapturedOutput output) {
		try (ConfigurableApplicationContext context = start(PASSWORD, "--spring.config.import=etcd:")) {
			RestClient rest = RestClient.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
			Map<String, Object> env = rest.get().uri("/actuator/env/coordination.etcd.password").retrieve().body(Map.class);
			assertThat(((Map<String, Object>) env.get("property")).get("value")).isEqualTo("******");
			// values are shown: the masking is ours, not the default hiding of every value
			Map<String, Object> username = rest.get().uri("/actuator/env/coordination.etcd.username").retrieve()
				.body(Map.class);
			assertThat(((Map<String, Object>) username.get("property")).get("value")).isEqualTo("app");
			String configprops = rest.get().uri("/actuator/configprops").retrieve().body(String.class);
			assertThat(configprops).contains("\"password\":\"******\"").doesNotContain(PASSWORD);
			String all = rest.get().uri("/actuator/env").retrieve().body(String.class);
			assertThat(all).doesNotContain(PASSWORD);
			assertThat(rest.get().uri("/actuator/coordination").retrieve().body(String.class)).doesNotContain(PASSWORD);
		}
		assertThat(output).doesNotContain(PASSWORD);
	}

	@Test
	void aRefusedPasswordIsNotInTheFailureOrTheLog(CapturedOutput output) {
		assertThatException().isThrownBy(() -> start("wrong-" + PASSWORD, "--spring.config.import=etcd:",
				"--coordination.etcd.connect-timeout=2s"))
			.withMessageContaining("Reading configuration context")
			.withMessageContaining("/config/secrets/")
			.withMessageContaining("refused the credentials of user '")
			.withMessageContaining("Correct coordination.etcd.username and coordination.etcd.password.")
			.satisfies((failure) -> {
				for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
					assertThat(String.valueOf(cause.getMessage())).doesNotContain(PASSWORD);
				}
			});
		assertThat(output).doesNotContain(PASSWORD);
	}

	private static ConfigurableApplicationContext start(String password, String... extra) {
		java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--server.port=0",
				"--spring.main.banner-mode=off", "--spring.application.name=secrets",
				"--coordination.etcd.endpoints=" + etcd.endpointsAsString(), "--coordination.etcd.username=app",
				"--coordination.etcd.password=" + password, "--coordination.etcd.request-timeout=3s",
				"--management.endpoints.web.exposure.include=env,configprops,coordination",
				"--management.endpoint.env.show-values=always", "--management.endpoint.configprops.show-values=always",
				"--logging.level.dev.coordination=debug", "--logging.level.io.etcd=debug"));
		args.addAll(java.util.List.of(extra));
		return new SpringApplicationBuilder(Application.class).run(args.toArray(String[]::new));
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Application {

	}

}
