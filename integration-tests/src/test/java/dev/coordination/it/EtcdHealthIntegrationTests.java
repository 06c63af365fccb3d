package dev.coordination.it;

import java.time.Duration;
import java.util.Map;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.EtcdTimeoutException;
import dev.coordination.etcd.internal.EtcdHealthIndicator;
import dev.coordination.test.EtcdMember;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Health and start-up while etcd is paused (SIGSTOP) or stopped, with fail-fast off and on.
 */
class EtcdHealthIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = EtcdContexts.runner(etcd.endpointsAsString())
		.withPropertyValues("coordination.etcd.request-timeout=1s", "coordination.etcd.connect-timeout=1s",
				"management.health.etcd.interval=1s");

	private EtcdMember member() {
		return etcd.cluster().member(0);
	}

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void healthIsUpWithClusterDetailsThenDownWhilePausedThenUpAgain() {
		this.contextRunner.run((context) -> {
			EtcdHealthIndicator indicator = context.getBean(EtcdHealthIndicator.class);
			Health up = await().atMost(Duration.ofSeconds(5))
				.until(indicator::health, (health) -> health.getStatus().equals(Status.UP));
			assertThat(up.getDetails()).containsKeys("endpoints", "endpoint", "clusterId", "memberId", "leaderId",
					"raftTerm", "dbSize", "version", "checkedAt", "age");
			assertThat(up.getDetails().get("version").toString()).startsWith("3.");
			assertThat(up.getDetails().get("leaderId")).isEqualTo(up.getDetails().get("memberId"));

			member().pause();
			await().atMost(Duration.ofSeconds(10)).until(() -> indicator.health().getStatus().equals(Status.DOWN));
			assertThat((Map<String, Object>) indicator.health().getDetails()).containsKey("error");

			member().resume();
			await().atMost(Duration.ofSeconds(20)).until(() -> indicator.health().getStatus().equals(Status.UP));
		});
	}

	@Test
	void everyCallIsBoundedByTheRequestTimeoutWhileEtcdIsPaused() {
		this.contextRunner.run((context) -> {
			EtcdTemplate template = context.getBean(EtcdTemplate.class);
			template.put("/health/bounded", "before");
			member().pause();
			long start = System.nanoTime();
			assertThatExceptionOfType(EtcdTimeoutException.class).isThrownBy(() -> template.get("/health/bounded"))
				.withMessageContaining("get /health/bounded")
				.withMessageContaining("coordination.etcd.request-timeout");
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900),
					Duration.ofSeconds(3));
			member().resume();
			await().atMost(Duration.ofSeconds(20))
				.ignoreExceptions()
				.until(() -> template.get("/health/bounded").isPresent());
		});
	}

	@Test
	void withoutFailFastStartsWhileEtcdIsDownAndTurnsUpOnceItAnswers() {
		member().stop();
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			EtcdHealthIndicator indicator = context.getBean(EtcdHealthIndicator.class);
			// UNKNOWN until the first check has answered, DOWN within the request timeout
			assertThat(indicator.health().getStatus()).isIn(Status.UNKNOWN, Status.DOWN);
			await().atMost(Duration.ofSeconds(3)).until(() -> indicator.health().getStatus().equals(Status.DOWN));
			member().start();
			await().atMost(Duration.ofSeconds(30)).until(() -> indicator.health().getStatus().equals(Status.UP));
			context.getBean(EtcdTemplate.class).put("/health/after-start", "ok");
		});
	}

	@Test
	void failFastStartsWhenEtcdAnswers() {
		this.contextRunner.withPropertyValues("coordination.etcd.fail-fast=true")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(EtcdTemplate.class));
	}

	@Test
	void failFastFailsStartUpWhileEtcdIsDownNamingTheEndpoint() {
		member().stop();
		this.contextRunner.withPropertyValues("coordination.etcd.fail-fast=true", "coordination.etcd.startup-grace=200ms")
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("Checking etcd at start-up (coordination.etcd.fail-fast=true) failed: etcd at "
						+ etcd.endpointsAsString().substring("http://".length()) + " refused the connection."));
	}

}
