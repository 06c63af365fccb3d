package dev.coordination.it;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdAuthenticationException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.KeyWatch;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Auth;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.auth.Permission;
import io.etcd.jetcd.watch.WatchEvent;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.coordination.etcd.internal.EtcdKeys.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * etcd with authentication enabled: a user whose role grants read-write on {@code /app/} only.
 */
@ExtendWith(OutputCaptureExtension.class)
class EtcdAuthenticationIntegrationTests {

	// Enabling authentication changes the cluster for everyone: never use a shared ETCD_ENDPOINTS one.
	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = EtcdContexts.runner(etcd.endpointsAsString())
		.withPropertyValues("coordination.etcd.request-timeout=3s");

	@BeforeAll
	static void enableAuthentication() throws Exception {
		Auth auth = etcd.client().getAuthClient();
		auth.roleAdd(bytes("root")).get(5, TimeUnit.SECONDS);
		auth.userAdd(bytes("root"), bytes("root-secret")).get(5, TimeUnit.SECONDS);
		auth.userGrantRole(bytes("root"), bytes("root")).get(5, TimeUnit.SECONDS);
		auth.roleAdd(bytes("app")).get(5, TimeUnit.SECONDS);
		// "/app0" is the end of the "/app/" range: '0' follows '/'.
		auth.roleGrantPermission(bytes("app"), bytes("/app/"), bytes("/app0"), Permission.Type.READWRITE)
			.get(5, TimeUnit.SECONDS);
		auth.userAdd(bytes("app"), bytes("app-secret")).get(5, TimeUnit.SECONDS);
		auth.userGrantRole(bytes("app"), bytes("app")).get(5, TimeUnit.SECONDS);
		auth.authEnable().get(5, TimeUnit.SECONDS);
	}

	@Test
	void credentialsGiveAccessToTheGrantedPrefix() {
		this.contextRunner.withPropertyValues("coordination.etcd.username=app", "coordination.etcd.password=app-secret")
			.run((context) -> {
				EtcdTemplate template = context.getBean(EtcdTemplate.class);
				template.put("/app/greeting", "hello");
				assertThat(template.get("/app/greeting")).map(KeyValue::getValue).map(EtcdKeys::string).contains("hello");
			});
	}

	@Test
	void keyOutsideTheGrantedPrefixIsDenied() {
		this.contextRunner.withPropertyValues("coordination.etcd.username=app", "coordination.etcd.password=app-secret")
			.run((context) -> assertThatExceptionOfType(EtcdAuthenticationException.class)
				.isThrownBy(() -> context.getBean(EtcdTemplate.class).put("/other/key", "x"))
				.withMessageContaining("put /other/key")
				.withMessageContaining("permission denied"));
	}

	@Test
	void aWatchOfAKeyOutsideTheGrantedPrefixEndsWithOnError() {
		this.contextRunner.withPropertyValues("coordination.etcd.username=app", "coordination.etcd.password=app-secret")
			.run((context) -> {
				List<EtcdAccessException> errors = new CopyOnWriteArrayList<>();
				KeyWatch watch = context.getBean(EtcdTemplate.class).watch("/other/key", 0, new KeyWatch.Listener() {

					@Override
					public void onEvent(WatchEvent event) {
					}

					@Override
					public void onError(EtcdAccessException failure) {
						errors.add(failure);
					}

				});
				await().atMost(Duration.ofSeconds(20)).until(() -> !errors.isEmpty());
				assertThat(watch.isClosed()).isTrue();
				assertThat(errors).singleElement()
					.isInstanceOf(EtcdAuthenticationException.class)
					.extracting(Throwable::getMessage, InstanceOfAssertFactories.STRING)
					.contains("/other/key", "permission denied");
			});
	}

	@Test
	void wrongPasswordIsAnAuthenticationFailure() {
		this.contextRunner.withPropertyValues("coordination.etcd.username=app", "coordination.etcd.password=wrong")
			.run((context) -> assertThatExceptionOfType(EtcdAuthenticationException.class)
				.isThrownBy(() -> context.getBean(EtcdTemplate.class).get("/app/greeting"))
				.withMessageContaining("authentication failed"));
	}

	@Test
	void missingCredentialsAreAnAuthenticationFailure() {
		this.contextRunner.run((context) -> assertThatExceptionOfType(EtcdAuthenticationException.class)
			.isThrownBy(() -> context.getBean(EtcdTemplate.class).get("/app/greeting")));
	}

	@Test
	void wrongPasswordOfTheConfigurationImportIsAnalyzed(CapturedOutput output) {
		assertThatException().isThrownBy(() -> new SpringApplicationBuilder(Application.class).run(
				"--spring.main.web-application-type=none", "--spring.main.banner-mode=off", "--coordination.enabled=false",
				"--spring.application.name=app", "--spring.config.import=etcd:/app",
				"--coordination.etcd.endpoints=" + etcd.endpointsAsString(), "--coordination.etcd.username=app",
				"--coordination.etcd.password=wrong"));
		String address = etcd.endpointsAsString().substring("http://".length());
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Reading configuration contexts /app/app/, /app/application/ from etcd (spring.config.import) failed:"
					+ " etcd at " + address + " refused the credentials of user 'app' (authentication failed, invalid user"
					+ " ID or password).")
			.contains("Correct coordination.etcd.username and coordination.etcd.password.")
			.doesNotContain("did not answer");
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Application {

	}

	@Test
	void failFastWithWrongPasswordFailsStartUp() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.username=app", "coordination.etcd.password=wrong",
					"coordination.etcd.fail-fast=true")
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("coordination.etcd.fail-fast=true")
				.hasStackTraceContaining("authentication failed"));
	}

}
