package dev.coordination.it.actuate;

import java.time.Duration;
import java.util.Map;

import dev.coordination.actuate.internal.CoordinationInfoContributor;
import dev.coordination.autoconfigure.actuate.CoordinationInfoContributorAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.info.InfoContributorAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.info.InfoEndpointAutoConfiguration;
import org.springframework.boot.actuate.info.InfoEndpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /actuator/info} against a real etcd: every instance names the same leader of each
 * election with its fencing token, and its own role (leader, follower, waiting for readiness,
 * observer) as it changes.
 */
class CoordinationInfoIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ElectionAutoConfiguration.class, ApplicationAvailabilityAutoConfiguration.class,
				EndpointAutoConfiguration.class, InfoEndpointAutoConfiguration.class,
				InfoContributorAutoConfiguration.class, CoordinationInfoContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.session.ttl=2s", "coordination.etcd.session.safety-margin=500ms",
				"coordination.etcd.instance.host=127.0.0.1", "coordination.etcd.election.wait-for-readiness=true",
				"coordination.etcd.election.elections.jobs.candidate=false",
				"management.endpoints.web.exposure.include=info");

	private ApplicationContextRunner instance(String id, int port) {
		return this.contextRunner.withPropertyValues("coordination.etcd.instance.id=" + id,
				"coordination.etcd.instance.port=" + port);
	}

	@Test
	void eachInstanceShowsTheLeaderAndItsOwnRoleAsReadinessChanges() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> {
			LeaderElection onA = election(a, "reports");
			election(b, "reports");
			election(a, "jobs");
			election(b, "jobs");
			// neither is ready: both wait, nobody leads
			assertThat(role(a, "reports")).isEqualTo("waiting");
			assertThat(elections(b).get("reports")).doesNotContainKey("leader");
			assertThat(role(a, "jobs")).isEqualTo("observer");

			AvailabilityChangeEvent.publish(a, ReadinessState.ACCEPTING_TRAFFIC);
			await().atMost(Duration.ofSeconds(5)).until(onA::isLeader);
			long token = onA.fencingToken().getAsLong();
			assertThat(role(a, "reports")).isEqualTo("leader");
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(leader(b, "reports")).containsEntry("instanceId", "a")
					.containsEntry("address", "127.0.0.1:8081")
					.containsEntry("token", token));
			assertThat(leader(a, "reports")).containsEntry("instanceId", "a").containsEntry("token", token);
			assertThat(elections(a).get("reports")).containsKey("since");
			assertThat(role(b, "reports")).isEqualTo("waiting");

			AvailabilityChangeEvent.publish(b, ReadinessState.ACCEPTING_TRAFFIC);
			await().atMost(Duration.ofSeconds(5)).until(() -> "follower".equals(role(b, "reports")));
			assertThat(elections(b).get("reports")).doesNotContainKey("since");

			// the leader refuses traffic: it resigns and both show b as the leader
			AvailabilityChangeEvent.publish(a, ReadinessState.REFUSING_TRAFFIC);
			await().atMost(Duration.ofSeconds(5)).until(() -> "leader".equals(role(b, "reports"))
					&& "b".equals(leader(a, "reports").get("instanceId")));
			assertThat(role(a, "reports")).isEqualTo("waiting");
			assertThat((long) leader(a, "reports").get("token")).isGreaterThan(token);
			assertThat(role(b, "jobs")).isEqualTo("observer");
		}));
	}

	@Test
	void isOffWithItsProperty() {
		this.contextRunner.withPropertyValues("management.info.coordination.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(CoordinationInfoContributor.class);
			context.getBean(LeaderElections.class).election("reports");
			assertThat(context.getBean(InfoEndpoint.class).info()).doesNotContainKey("coordination");
		});
	}

	private static LeaderElection election(AssertableApplicationContext context, String name) {
		return context.getBean(LeaderElections.class).election(name);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Map<String, Object>> elections(AssertableApplicationContext context) {
		Map<String, Object> coordination = (Map<String, Object>) context.getBean(InfoEndpoint.class)
			.info()
			.get("coordination");
		return (Map<String, Map<String, Object>>) coordination.get("elections");
	}

	private static String role(AssertableApplicationContext context, String election) {
		return (String) elections(context).get(election).get("role");
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> leader(AssertableApplicationContext context, String election) {
		Map<String, Object> leader = (Map<String, Object>) elections(context).get(election).get("leader");
		return (leader != null) ? leader : Map.of();
	}

}
