package dev.coordination.it.election;

import java.time.Duration;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.internal.EtcdLeaderElection;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code coordination.etcd.election.retry-period} against a real etcd that rejects every campaign
 * while the session stays valid: etcd runs with {@code --max-request-bytes=1024} and the candidate's
 * identity carries 4 KB of metadata, so each campaign transaction is refused ("request is too
 * large") while the session's small lease requests pass. Every attempt is one log line of the
 * election ("Could not campaign", then "Again: Could not campaign" at DEBUG), whose timestamps give
 * the gaps between attempts. Only lower bounds on the gaps are asserted: a loaded machine makes them
 * longer, never shorter.
 */
class ElectionRetryPeriodIntegrationTests {

	// the fixed period is shortened by up to a fifth at random; a little more for timestamp rounding
	private static final double SHORTEST_GAP_FRACTION = 0.8;

	private static final long ROUNDING_MILLIS = 20;

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension
		.create(EtcdSpec.builder().requireLaunched().args("--max-request-bytes=1024").build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ElectionAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=2s", "coordination.etcd.instance.id=too-big",
				"coordination.etcd.instance.metadata.padding=" + "x".repeat(4096));

	private final ListAppender<ILoggingEvent> attempts = new ListAppender<>();

	private final Logger electionLogger = (Logger) LoggerFactory.getLogger(EtcdLeaderElection.class);

	private Level previousLevel;

	@BeforeEach
	void countCampaignAttempts() {
		this.previousLevel = this.electionLogger.getLevel();
		this.electionLogger.setLevel(Level.DEBUG);
		this.attempts.start();
		this.electionLogger.addAppender(this.attempts);
	}

	@AfterEach
	void stopCounting() {
		this.electionLogger.detachAppender(this.attempts);
		this.electionLogger.setLevel(this.previousLevel);
	}

	@Test
	void rejectedCampaignIsRetriedAtTheRetryPeriod() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.retry-period=1500ms")
			.run((context) -> assertGapsOfAtLeast(context.getBean(LeaderElections.class).election("retried"),
					context.getBean(CoordinationSession.class), Duration.ofMillis(1500)));
	}

	@Test
	void electionsOwnRetryPeriodOverridesTheGlobalOne() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.election.retry-period=100ms",
					"coordination.etcd.election.elections.own.retry-period=1500ms")
			.run((context) -> assertGapsOfAtLeast(context.getBean(LeaderElections.class).election("own"),
					context.getBean(CoordinationSession.class), Duration.ofMillis(1500)));
	}

	private void assertGapsOfAtLeast(LeaderElection election, CoordinationSession session, Duration period) {
		await().atMost(Duration.ofSeconds(30)).until(() -> attemptTimes(election).size() >= 4);
		// the session stayed valid throughout: every retry is the election's own, not a new lease's
		assertThat(session.isValid()).isTrue();
		assertThat(election.isLeader()).isFalse();
		List<Long> times = attemptTimes(election);
		long shortest = (long) (period.toMillis() * SHORTEST_GAP_FRACTION) - ROUNDING_MILLIS;
		for (int i = 1; i < times.size(); i++) {
			assertThat(times.get(i) - times.get(i - 1)).as("gap before attempt %d of %s", i + 1, times)
				.isGreaterThanOrEqualTo(shortest);
		}
	}

	private List<Long> attemptTimes(LeaderElection election) {
		String attempt = "Could not campaign in election '" + election.name() + "'";
		List<ILoggingEvent> events;
		// the appender appends under its own monitor
		synchronized (this.attempts) {
			events = List.copyOf(this.attempts.list);
		}
		return events.stream()
			.filter((event) -> (event.getLevel() == Level.WARN && event.getFormattedMessage().startsWith(attempt))
					|| (event.getLevel() == Level.DEBUG && event.getFormattedMessage().startsWith("Again: " + attempt)))
			.map(ILoggingEvent::getTimeStamp)
			.toList();
	}

}
