package dev.coordination.it.election;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.coordination.actuate.internal.CoordinationEndpoint;
import dev.coordination.actuate.internal.CoordinationEndpoint.InLine;
import dev.coordination.autoconfigure.actuate.CoordinationEndpointAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderTerm;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an instance can see of an election, against a real etcd: {@link LeaderElection#candidates()}
 * in line order through a failover, on candidates and on an observer alike, the same list in
 * {@code /actuator/coordination}, and the status log of
 * {@code coordination.etcd.election.status-log-interval}.
 */
@ExtendWith(OutputCaptureExtension.class)
class ElectionIntrospectionIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ElectionAutoConfiguration.class, CoordinationEndpointAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=2s",
				"coordination.etcd.session.safety-margin=500ms", "coordination.etcd.instance.host=127.0.0.1",
				"management.endpoints.web.exposure.include=coordination");

	private ApplicationContextRunner instance(String id, int port) {
		return this.contextRunner.withPropertyValues("coordination.etcd.instance.id=" + id,
				"coordination.etcd.instance.port=" + port);
	}

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void candidatesAreInLineOnEveryInstanceAndTheNextLeadsFirstWhenTheLeadersSessionIsKilled() {
		instance("a", 8081).run((a) -> instance("b", 8082).run((b) -> instance("c", 8083).run((c) -> instance("d", 8084)
			.withPropertyValues("coordination.etcd.election.elections.line.candidate=false")
			.run((d) -> {
				List<LeaderElection> candidates = List.of(election(a, "line"), election(b, "line"), election(c, "line"));
				LeaderElection observer = election(d, "line");
				List<LeaderElection> everyone = List.of(candidates.get(0), candidates.get(1), candidates.get(2), observer);
				await().atMost(Duration.ofSeconds(15))
					.until(() -> candidates.stream().filter(LeaderElection::isLeader).count() == 1);
				// every instance, the observer too, sees the three candidates in the same order
				await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
					List<Candidate> line = observer.candidates();
					assertThat(line).extracting(Candidate::instanceId).containsExactlyInAnyOrder("a", "b", "c");
					assertThat(everyone).allSatisfy((election) -> assertThat(election.candidates()).isEqualTo(line));
				});
				List<Candidate> line = observer.candidates();
				assertThat(line).extracting(Candidate::token).isSorted().doesNotHaveDuplicates();
				LeaderElection leader = candidates.stream().filter(LeaderElection::isLeader).findFirst().orElseThrow();
				LeaderTerm term = leader.currentTerm().orElseThrow();
				assertThat(line.get(0).token()).isEqualTo(term.token());
				assertThat(line.get(0)).isEqualTo(observer.leader().orElseThrow());
				assertThat(endpointLine(d)).containsExactlyElementsOf(line.stream()
					.map((candidate) -> new InLine(candidate.instanceId(), candidate.address(), candidate.token()))
					.toList());

				// the leader's session dies: its lease is revoked, its key goes at once
				etcd.client().getLeaseClient().revoke(term.leaseId()).get(5, TimeUnit.SECONDS);

				// it is dropped, the next in line leads first, and the former leader, with a new session,
				// queues again at the back; every instance agrees
				String formerLeader = line.get(0).instanceId();
				await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
					List<Candidate> now = observer.candidates();
					assertThat(now).extracting(Candidate::instanceId)
						.containsExactly(line.get(1).instanceId(), line.get(2).instanceId(), formerLeader);
					assertThat(now).extracting(Candidate::token).doesNotContain(term.token()).isSorted();
					assertThat(everyone).allSatisfy((election) -> assertThat(election.candidates()).isEqualTo(now));
					assertThat(everyone).allSatisfy(
							(election) -> assertThat(election.leader()).contains(line.get(1)));
				});
				assertThat(endpointLine(d)).extracting(InLine::instanceId)
					.containsExactly(line.get(1).instanceId(), line.get(2).instanceId(), formerLeader);
			}))));
	}

	@Test
	void everyInstanceLogsItsRoleAndTheLeaderAtTheStatusLogInterval(CapturedOutput output) {
		ApplicationContextRunner logging = this.contextRunner
			.withPropertyValues("coordination.etcd.election.status-log-interval=200ms");
		logging.withPropertyValues("coordination.etcd.instance.id=s1").run((s1) -> logging
			.withPropertyValues("coordination.etcd.instance.id=s2")
			.run((s2) -> logging
				.withPropertyValues("coordination.etcd.instance.id=s3",
						"coordination.etcd.election.elections.status.candidate=false")
				.run((s3) -> {
					List<LeaderElection> elections = List.of(election(s1, "status"), election(s2, "status"));
					election(s3, "status");
					await().atMost(Duration.ofSeconds(15))
						.until(() -> elections.stream().filter(LeaderElection::isLeader).count() == 1);
					LeaderElection leader = elections.stream().filter(LeaderElection::isLeader).findFirst().orElseThrow();
					String leaderId = (leader == elections.get(0)) ? "s1" : "s2";
					String followerId = (leader == elections.get(0)) ? "s2" : "s1";
					long token = leader.fencingToken().getAsLong();
					await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(output.getOut()).contains(
							"Election 'status': this instance (" + leaderId + ") is the leader (token " + token
									+ "), 2 candidates",
							"Election 'status': this instance (" + followerId + ") follows " + leaderId + " (token "
									+ token + "), 2 candidates",
							"Election 'status': this instance (s3) is not a candidate; " + leaderId + " leads (token "
									+ token + "), 2 candidates"));
				})));
		// stopped with its context
		long logged = statusLines(output, "s1");
		await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
			.until(() -> statusLines(output, "s1") == logged);
	}

	@Test
	void noStatusLogUnlessItsIntervalIsSet(CapturedOutput output) {
		instance("quiet", 8085).run((context) -> {
			LeaderElection election = election(context, "quiet");
			await().atMost(Duration.ofSeconds(15)).until(election::isLeader);
			await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
				.until(() -> !output.getOut().contains("Election 'quiet': this instance"));
		});
	}

	private static long statusLines(CapturedOutput output, String instance) {
		return output.getOut().lines().filter((line) -> line.contains(": this instance (" + instance + ")")).count();
	}

	private static List<InLine> endpointLine(AssertableApplicationContext context) {
		CoordinationEndpoint endpoint = context.getBean(CoordinationEndpoint.class);
		List<CoordinationEndpoint.Election> elections = endpoint.coordination().elections();
		assertThat(elections).isNotNull();
		return elections.stream()
			.filter((election) -> election.name().equals("line"))
			.findFirst()
			.orElseThrow()
			.candidates();
	}

	private static LeaderElection election(AssertableApplicationContext context, String name) {
		return context.getBean(LeaderElections.class).election(name);
	}

}
