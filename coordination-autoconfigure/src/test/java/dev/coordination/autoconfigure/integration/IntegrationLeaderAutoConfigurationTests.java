package dev.coordination.autoconfigure.integration;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipListener;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.integration.internal.EtcdLeaderInitiator;
import dev.coordination.integration.internal.EtcdLeaderInitiators;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.core.MessageSource;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.Pollers;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.leader.event.AbstractLeaderEvent;
import org.springframework.integration.leader.event.DefaultLeaderEventPublisher;
import org.springframework.integration.leader.event.LeaderEventPublisher;
import org.springframework.integration.leader.event.OnGrantedEvent;
import org.springframework.integration.leader.event.OnRevokedEvent;
import org.springframework.integration.support.MessageBuilder;
import org.springframework.integration.support.SmartLifecycleRoleController;
import org.springframework.integration.support.leader.LockRegistryLeaderInitiator;
import org.springframework.integration.support.locks.DefaultLockRegistry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Integration's leadership on the starter's elections, without etcd: nothing listens on the
 * endpoint, so the etcd elections never grant; grants come from elections of the test's own.
 */
@ExtendWith(OutputCaptureExtension.class)
class IntegrationLeaderAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ElectionAutoConfiguration.class, IntegrationLeaderAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void everyRoleOfTheEndpointsAndOfTheCandidateBeansGetsAnInitiatorInTheElectionOfItsName() {
		this.contextRunner.withUserConfiguration(ClusterFlowConfiguration.class, ReportsCandidateConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(EtcdLeaderInitiators.class);
				Map<String, EtcdLeaderInitiator> initiators = context.getBean(EtcdLeaderInitiators.class).initiators();
				assertThat(initiators).containsOnlyKeys("cluster", "reports");
				assertThat(initiators.get("cluster").getCandidates()).singleElement()
					.isInstanceOf(DefaultCandidate.class)
					.extracting(Candidate::getRole)
					.isEqualTo("cluster");
				assertThat(initiators.get("reports").getCandidates())
					.containsExactly(context.getBean("reportsCandidate", Candidate.class));
				assertThat(initiators.values()).allMatch(EtcdLeaderInitiator::isRunning);
				assertThat(initiators.get("cluster").getContext().isLeader()).isFalse();
				assertThat(initiators.get("cluster").getContext().getRole()).isEqualTo("cluster");
				assertThat(context.getBean(LeaderElections.class).elections()).extracting(LeaderElection::name)
					.containsExactlyInAnyOrder("cluster", "reports");
			});
	}

	@Test
	void absentWithoutSpringIntegration() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(Candidate.class, SmartLifecycleRoleController.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(EtcdLeaderInitiators.class)
				.doesNotHaveBean(IntegrationLeaderProperties.class));
	}

	@Test
	void offByProperty() {
		this.contextRunner.withUserConfiguration(ClusterFlowConfiguration.class)
			.withPropertyValues("coordination.etcd.integration.leader.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(EtcdLeaderInitiators.class));
	}

	@Test
	void absentWithoutElections() {
		this.contextRunner.withUserConfiguration(ClusterFlowConfiguration.class)
			.withPropertyValues("coordination.etcd.election.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(EtcdLeaderInitiators.class));
	}

	@Test
	void restrictedRolesLeaveARoleWithEndpointsAndNoCandidateAndFailStartUpNamingIt() {
		this.contextRunner.withUserConfiguration(ClusterFlowConfiguration.class)
			.withPropertyValues("coordination.etcd.integration.leader.roles=other")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasMessageContaining("role 'cluster'")
				.hasMessageContaining("[clusterPoller]")
				.hasMessageContaining("coordination.etcd.integration.leader.roles"));
	}

	@Test
	void restrictedRolesCampaignOnlyForTheListedRoles() {
		this.contextRunner.withUserConfiguration(ClusterFlowConfiguration.class)
			.withPropertyValues("coordination.etcd.integration.leader.roles=cluster,standby")
			.run((context) -> assertThat(context.getBean(EtcdLeaderInitiators.class).initiators())
				.containsOnlyKeys("cluster", "standby"));
	}

	@Test
	void aCandidateBeanCoversARoleLeftOutOfTheRestrictedRoles() {
		this.contextRunner.withUserConfiguration(ClusterFlowConfiguration.class, ClusterCandidateConfiguration.class)
			.withPropertyValues("coordination.etcd.integration.leader.roles=")
			.run((context) -> assertThat(context.getBean(EtcdLeaderInitiators.class).initiators().get("cluster")
				.getCandidates()).containsExactly(context.getBean("clusterCandidate", Candidate.class)));
	}

	@Test
	void blankRoleFailsStartUpNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.integration.leader.roles[0]=cluster",
				"coordination.etcd.integration.leader.roles[1]= ")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("coordination.etcd.integration.leader.roles[1]")
				.hasMessageContaining("must not be empty"));
	}

	@Test
	void candidateBeanWithoutARoleFailsStartUpNamingIt() {
		this.contextRunner.withUserConfiguration(BlankCandidateConfiguration.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasMessageContaining("Candidate bean 'blankCandidate' has no role"));
	}

	@Test
	void aRoleLedByALeaderInitiatorBeanOfTheApplicationIsLeftToIt() {
		this.contextRunner.withUserConfiguration(ClusterFlowConfiguration.class, LockInitiatorConfiguration.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(EtcdLeaderInitiators.class).initiators()).isEmpty();
				assertThat(context.getBean(LeaderElections.class).elections()).isEmpty();
			});
	}

	@Test
	void listingARoleThatALeaderInitiatorBeanLeadsFailsStartUp() {
		this.contextRunner.withUserConfiguration(ClusterFlowConfiguration.class, LockInitiatorConfiguration.class)
			.withPropertyValues("coordination.etcd.integration.leader.roles=cluster")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasMessageContaining("Role 'cluster'")
				.hasMessageContaining("'lockLeaderInitiator'"));
	}

	@Test
	void grantStartsTheRoleEndpointsThroughTheUsersEventPublisherAndStopRevokes() {
		this.contextRunner
			.withUserConfiguration(LeadingElectionsConfiguration.class, ClusterFlowConfiguration.class,
					ClusterCandidateConfiguration.class, RecordingPublisherConfiguration.class)
			.run((context) -> {
				RecordingCandidate candidate = context.getBean(RecordingCandidate.class);
				assertThat(candidate.events).containsExactly("granted:true");
				SmartLifecycleRoleController controller = context.getBean(SmartLifecycleRoleController.class);
				assertThat(controller.allEndpointsRunning("cluster")).isTrue();
				RecordingPublisher publisher = context.getBean(RecordingPublisher.class);
				assertThat(publisher.events).singleElement().isInstanceOf(OnGrantedEvent.class);
				Context leaderContext = publisher.events.get(0).getContext();
				assertThat(leaderContext.isLeader()).isTrue();
				assertThat(leaderContext.getRole()).isEqualTo("cluster");
				context.getBean(EtcdLeaderInitiators.class).stop();
				assertThat(candidate.events).containsExactly("granted:true", "revoked:false");
				assertThat(publisher.events).last().isInstanceOf(OnRevokedEvent.class);
				assertThat(controller.noEndpointsRunning("cluster")).isTrue();
				assertThat(leaderContext.isLeader()).isFalse();
			});
	}

	@Test
	void anEndpointOfALedRoleThatStartsByItselfIsNamedInAWarning(CapturedOutput output) {
		this.contextRunner.withUserConfiguration(ClusterFlowConfiguration.class, AutoStartingFlowConfiguration.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(output).contains("Endpoint 'autoStartingPoller' of role 'cluster' starts with the application"
						+ " on every instance")
					.doesNotContain("Endpoint 'clusterPoller'");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class AutoStartingFlowConfiguration {

		@Bean
		IntegrationFlow autoStartingFlow() {
			return IntegrationFlow
				.from((MessageSource<String>) () -> MessageBuilder.withPayload("tick").build(),
						(adapter) -> adapter.id("autoStartingPoller")
							.role("cluster")
							.poller(Pollers.fixedDelay(Duration.ofMillis(100))))
				.nullChannel();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableIntegration
	static class ClusterFlowConfiguration {

		@Bean
		IntegrationFlow clusterFlow() {
			return IntegrationFlow
				.from((MessageSource<String>) () -> MessageBuilder.withPayload("tick").build(),
						(adapter) -> adapter.id("clusterPoller")
							.role("cluster")
							.autoStartup(false)
							.poller(Pollers.fixedDelay(Duration.ofMillis(100))))
				.nullChannel();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ReportsCandidateConfiguration {

		@Bean
		Candidate reportsCandidate() {
			return new DefaultCandidate("reports-1", "reports");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ClusterCandidateConfiguration {

		@Bean
		RecordingCandidate clusterCandidate() {
			return new RecordingCandidate();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class BlankCandidateConfiguration {

		@Bean
		Candidate blankCandidate() {
			return new RecordingCandidate() {

				@Override
				public String getRole() {
					return " ";
				}

			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class LockInitiatorConfiguration {

		@Bean
		LockRegistryLeaderInitiator lockLeaderInitiator() {
			LockRegistryLeaderInitiator initiator = new LockRegistryLeaderInitiator(new DefaultLockRegistry(),
					new DefaultCandidate("lock-1", "cluster"));
			initiator.setAutoStartup(false);
			return initiator;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class RecordingPublisherConfiguration {

		@Bean
		RecordingPublisher recordingPublisher(org.springframework.context.ApplicationEventPublisher events) {
			return new RecordingPublisher(events);
		}

	}

	static class RecordingCandidate implements Candidate {

		final List<String> events = new CopyOnWriteArrayList<>();

		@Override
		public String getRole() {
			return "cluster";
		}

		@Override
		public String getId() {
			return "recording";
		}

		@Override
		public void onGranted(Context context) {
			this.events.add("granted:" + context.isLeader());
		}

		@Override
		public void onRevoked(Context context) {
			this.events.add("revoked:" + context.isLeader());
		}

	}

	/**
	 * The application's own publisher: records, then publishes as the default one does.
	 */
	static class RecordingPublisher implements LeaderEventPublisher {

		final List<AbstractLeaderEvent> events = new CopyOnWriteArrayList<>();

		private final org.springframework.context.ApplicationEventPublisher publisher;

		RecordingPublisher(org.springframework.context.ApplicationEventPublisher publisher) {
			this.publisher = publisher;
		}

		@Override
		public void publishOnGranted(Object source, Context context, String role) {
			OnGrantedEvent event = new OnGrantedEvent(source, context, role);
			this.events.add(event);
			this.publisher.publishEvent(event);
		}

		@Override
		public void publishOnRevoked(Object source, Context context, String role) {
			OnRevokedEvent event = new OnRevokedEvent(source, context, role);
			this.events.add(event);
			this.publisher.publishEvent(event);
		}

		@Override
		public void publishOnFailedToAcquire(Object source, Context context, String role) {
			new DefaultLeaderEventPublisher(this.publisher).publishOnFailedToAcquire(source, context, role);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class LeadingElectionsConfiguration {

		@Bean
		LeaderElections userElections() {
			return new LeadingElections();
		}

	}

	/**
	 * Elections of the application's own in which this instance always leads, with token 7.
	 */
	static class LeadingElections implements LeaderElections {

		private final Map<String, LeaderElection> elections = new ConcurrentHashMap<>();

		@Override
		public LeaderElection election(String name) {
			return this.elections.computeIfAbsent(name, LeadingElection::new);
		}

		@Override
		public Collection<LeaderElection> elections() {
			return List.copyOf(this.elections.values());
		}

		@Override
		public void addListener(LeadershipListener listener) {
		}

		@Override
		public void removeListener(LeadershipListener listener) {
		}

	}

	record LeadingElection(String name) implements LeaderElection {

		private static final LeaderTerm TERM = new LeaderTerm("cluster", 7, 42, "/elections/cluster/2a", Instant.EPOCH);

		@Override
		public boolean isLeader() {
			return true;
		}

		@Override
		public Optional<LeaderTerm> currentTerm() {
			return Optional.of(TERM);
		}

		@Override
		public OptionalLong fencingToken() {
			return OptionalLong.of(7);
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			throw new UnsupportedOperationException();
		}

		@Override
		public Optional<dev.coordination.election.Candidate> leader() {
			return Optional.empty();
		}

		@Override
		public boolean awaitLeadership(Duration timeout) {
			return true;
		}

		@Override
		public void resign() {
		}

		@Override
		public void addListener(LeadershipListener listener) {
		}

		@Override
		public void removeListener(LeadershipListener listener) {
		}

	}

}
