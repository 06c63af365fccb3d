package dev.coordination.it;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionHealthContributorAutoConfiguration;
import dev.coordination.etcd.internal.CoordinationMeterNames;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.session.SessionInfo;
import dev.coordination.session.SessionListener;
import dev.coordination.session.SessionLossReason;
import dev.coordination.session.SessionLostEvent;
import dev.coordination.session.SessionRenewedEvent;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.LeaseListener;
import dev.coordination.session.internal.SessionHealthIndicator;
import dev.coordination.test.EtcdMember;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.options.LeaseOption;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The coordination session against a real etcd that is paused (SIGSTOP), killed, restarted and
 * whose lease is revoked behind the session's back.
 */
@ExtendWith(OutputCaptureExtension.class)
class CoordinationSessionIntegrationTests {

	private static final Duration TTL = Duration.ofSeconds(3);

	private static final Duration MARGIN = Duration.ofSeconds(1);

	private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				SessionHealthContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=" + REQUEST_TIMEOUT.toMillis() + "ms",
				"coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"coordination.etcd.session.safety-margin=" + MARGIN.toMillis() + "ms");

	private EtcdMember member() {
		return etcd.cluster().member(0);
	}

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void leaseSurvivesFiveTtlsOfNormalRunning() {
		this.contextRunner.run((context) -> {
			EtcdSession session = validSession(context);
			Events events = Events.of(session);
			long lease = session.leaseId();
			assertThat(lease).isNotZero();
			await().during(TTL.multipliedBy(5)).atMost(TTL.multipliedBy(5).plusSeconds(2)).until(() -> session.isValid(lease));
			assertThat(events.all("lost")).isEmpty();
			assertThat(remainingTtl(lease)).isPositive();
			assertThat(session.timeLeft()).isPositive().isLessThanOrEqualTo(TTL.minus(MARGIN));
		});
	}

	@Test
	void pausedEtcdLosesTheSessionLocallyBeforeTheLeaseCouldExpireThenANewLeaseIsGranted() {
		this.contextRunner.run((context) -> {
			EtcdSession session = validSession(context);
			Events events = Events.of(session);
			long lease = session.leaseId();
			assertThat(lease).isNotZero();
			AtomicLong acknowledgedSent = new AtomicLong();

			member().pause();
			await().atMost(TTL.plusSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> {
				SessionInfo info = session.info();
				if (info.valid()) {
					acknowledgedSent.set(info.acknowledgedSentNanos());
				}
				return !info.valid();
			});
			long invalidSeenAt = System.nanoTime();
			// nothing came from etcd: it is still stopped
			assertThat(member().isPaused()).isTrue();
			assertThat(session.isValid(lease)).isFalse();
			assertThat(context.getBean(SessionHealthIndicator.class).health().getStatus())
				.isEqualTo(Status.DOWN);
			Event lost = events.awaitFirst("lost", Duration.ofSeconds(1));
			assertThat(lost.leaseId()).isEqualTo(lease);
			assertThat(lost.reason()).isEqualTo(SessionLossReason.DEADLINE_PASSED);
			// etcd cannot expire the lease before sent + TTL; the session gave it up at sent + TTL - margin
			assertThat(lost.nanos() - acknowledgedSent.get()).isGreaterThanOrEqualTo(TTL.minus(MARGIN).toNanos())
				.isLessThan(TTL.toNanos());
			assertThat(invalidSeenAt - acknowledgedSent.get()).isLessThan(TTL.toNanos());

			member().resume();
			Event renewed = events.awaitFirst("renewed", Duration.ofSeconds(10));
			assertThat(renewed.leaseId()).isNotEqualTo(lease);
			assertThat(session.isValid(renewed.leaseId())).isTrue();
			assertThat(context.getBean(SessionHealthIndicator.class).health().getStatus())
				.isEqualTo(Status.UP);
			await().atMost(TTL.plusSeconds(2)).until(() -> remainingTtl(lease) == -1);
		});
	}

	@Test
	void killedEtcdLosesTheSessionAndARestartGrantsANewOne() {
		this.contextRunner.run((context) -> {
			EtcdSession session = validSession(context);
			Events events = Events.of(session);
			long lease = session.leaseId();
			member().kill();
			Event lost = events.awaitFirst("lost", TTL.plusSeconds(1));
			assertThat(lost.leaseId()).isEqualTo(lease);
			assertThat(lost.reason()).isEqualTo(SessionLossReason.DEADLINE_PASSED);
			assertThat(session.isValid()).isFalse();
			member().start();
			Event renewed = events.awaitFirst("renewed", Duration.ofSeconds(15));
			assertThat(renewed.leaseId()).isNotEqualTo(lease);
			assertThat(remainingTtl(renewed.leaseId())).isPositive();
		});
	}

	@Test
	void quickEtcdRestartIsReportedAsItHappened() {
		this.contextRunner.run((context) -> {
			EtcdSession session = validSession(context);
			Events events = Events.of(session);
			long lease = session.leaseId();
			member().kill();
			member().start();
			long restarted = System.nanoTime();
			// judge once the session has heard from the restarted etcd: a keep-alive sent after the restart
			// was answered, or the loss was reported (etcd 3.4 may come back without a lease granted just
			// before the kill, and the session learns it at its next keep-alive)
			await().atMost(Duration.ofSeconds(15)).until(() -> events.first("lost").isPresent()
					|| (session.isValid() && session.info().acknowledgedSentNanos() - restarted > 0));
			await().atMost(Duration.ofSeconds(15)).until(session::isValid);
			Optional<Event> lost = events.first("lost");
			if (lost.isEmpty()) {
				// survived: the same lease was kept alive, and etcd agrees it is
				assertThat(session.leaseId()).isEqualTo(lease);
				assertThat(remainingTtl(lease)).isPositive();
			}
			else {
				// lost: reported for the old lease, and a new one replaced it
				assertThat(lost.get().leaseId()).isEqualTo(lease);
				Event renewed = events.awaitFirst("renewed", Duration.ofSeconds(5));
				assertThat(renewed.nanos()).isGreaterThan(lost.get().nanos());
				assertThat(session.leaseId()).isEqualTo(renewed.leaseId()).isNotEqualTo(lease);
				assertThat(remainingTtl(renewed.leaseId())).isPositive();
			}
		});
	}

	@Test
	void applicationListenersRunOffTheSessionThreadSoABlockingOneNeverDelaysRenewal() {
		CountDownLatch release = new CountDownLatch(1);
		List<String> heard = new CopyOnWriteArrayList<>();
		List<String> threads = new CopyOnWriteArrayList<>();
		SessionListener blocking = new SessionListener() {

			@Override
			public void lost(SessionLostEvent event) {
				threads.add(Thread.currentThread().getName());
				heard.add("blocking lost " + event.getLeaseId());
				try {
					// longer than the TTL, unless the test releases it
					release.await(TTL.multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				throw new IllegalStateException("a listener that fails");
			}

		};
		SessionListener recording = new SessionListener() {

			@Override
			public void lost(SessionLostEvent event) {
				heard.add("lost " + event.getLeaseId() + " " + event.getReason());
			}

			@Override
			public void renewed(SessionRenewedEvent event) {
				heard.add("renewed " + event.getLeaseId());
			}

		};
		List<Object> published = new CopyOnWriteArrayList<>();
		this.contextRunner.withBean("blocking", SessionListener.class, () -> blocking)
			.withBean("recording", SessionListener.class, () -> recording)
			.withBean(ApplicationListener.class, () -> (ApplicationListener<ApplicationEvent>) (event) -> {
				if (event instanceof SessionLostEvent || event instanceof SessionRenewedEvent) {
					published.add(event);
				}
			})
			.run((context) -> {
				EtcdSession session = validSession(context);
				long lease = session.leaseId();
				etcd.client().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
				// the listener blocks: the session renews all the same, and keeps the new lease alive
				await().atMost(Duration.ofSeconds(5)).until(() -> heard.contains("blocking lost " + lease));
				await().atMost(Duration.ofSeconds(5)).until(() -> session.isValid() && session.leaseId() != lease);
				long renewedLease = session.leaseId();
				await().during(TTL.plus(MARGIN)).atMost(TTL.plus(MARGIN).plusSeconds(2))
					.until(() -> session.isValid(renewedLease));
				assertThat(remainingTtl(renewedLease)).isPositive();
				assertThat(heard).containsExactly("blocking lost " + lease);
				// once it returns (failing), the others hear both events, in order
				release.countDown();
				await().atMost(Duration.ofSeconds(5)).until(() -> heard.contains("renewed " + renewedLease));
				assertThat(heard).containsExactly("blocking lost " + lease, "lost " + lease + " LEASE_GONE",
						"renewed " + renewedLease);
				assertThat(threads).containsOnly("coordination-events");
				await().atMost(Duration.ofSeconds(5)).until(() -> published.size() == 2);
				assertThat(published).hasExactlyElementsOfTypes(SessionLostEvent.class, SessionRenewedEvent.class);
			});
	}

	@Test
	void leaseRevokedByAnotherClientIsLostAtTheNextKeepAliveAndReplaced() {
		this.contextRunner.run((context) -> {
			EtcdSession session = validSession(context);
			Events events = Events.of(session);
			long lease = session.leaseId();
			etcd.client().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
			Event lost = events.awaitFirst("lost", session.getKeepAliveInterval().plusSeconds(1));
			assertThat(lost.leaseId()).isEqualTo(lease);
			assertThat(lost.reason()).isEqualTo(SessionLossReason.LEASE_GONE);
			Event renewed = events.awaitFirst("renewed", Duration.ofSeconds(5));
			assertThat(remainingTtl(renewed.leaseId())).isPositive();
		});
	}

	@Test
	void gracefulShutdownTellsListenersFirstThenRevokesTheLease() {
		this.contextRunner.run((context) -> {
			EtcdSession session = validSession(context);
			long lease = session.leaseId();
			AtomicLong ttlSeenWhileClosing = new AtomicLong();
			session.addLeaseListener(new LeaseListener() {
				@Override
				public void leaseClosing(long leaseId) {
					ttlSeenWhileClosing.set(remainingTtl(leaseId));
				}
			});
			await().atMost(Duration.ofSeconds(1)).until(() -> !session.info().ttl().isZero());
			context.close();
			assertThat(ttlSeenWhileClosing.get()).isPositive();
			assertThat(remainingTtl(lease)).isEqualTo(-1);
		});
	}

	@Test
	void stoppedSessionStartedAgainHoldsExactlyOneNewLeaseAndSaysItStarted(CapturedOutput output) {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run((context) -> {
			EtcdSession session = validSession(context);
			Events events = Events.of(session);
			long first = session.leaseId();
			session.stop();
			assertThat(session.isValid()).isFalse();
			assertThat(remainingTtl(first)).isEqualTo(-1);
			session.start();
			await().atMost(Duration.ofSeconds(5)).until(session::isValid);
			long second = session.leaseId();
			assertThat(second).isNotEqualTo(first);
			await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> session.leaseId() == second);
			assertThat(remainingTtl(second)).isPositive();
			// a start, not a renewal after a loss: nothing was lost
			assertThat(events.all("granted")).anyMatch((event) -> event.leaseId() == second);
			assertThat(events.all("renewed")).isEmpty();
			assertThat(context.getBean(MeterRegistry.class).counter(CoordinationMeterNames.SESSION_RENEWALS).count())
				.isZero();
			assertThat(output.getOut()).contains("Started coordination session with lease " + EtcdKeys.leaseHex(second))
				.doesNotContain("Renewed coordination session");
		});
	}

	@Test
	void aGrantThatFailsAfterALossSaysTheSessionIsBeingRenewedNotStarted(CapturedOutput output) {
		// keep-alives wait longer than the lease's window: the loss comes before any of them fails
		this.contextRunner.withPropertyValues("coordination.etcd.request-timeout=4s").run((context) -> {
			EtcdSession session = validSession(context);
			Events events = Events.of(session);
			member().pause();
			events.awaitFirst("lost", TTL.plusSeconds(1));
			// the new lease's grant waits for the request timeout, then fails
			await().atMost(Duration.ofSeconds(8))
				.until(() -> output.getOut().contains("Cannot renew the coordination session (grant a new lease): "));
			assertThat(output.getOut()).doesNotContain("Cannot start the coordination session");
			member().resume();
			events.awaitFirst("renewed", Duration.ofSeconds(10));
		});
	}

	@Test
	void shutdownWhileEtcdIsDownIsBoundedByTheRequestTimeout() {
		this.contextRunner.run((context) -> {
			EtcdSession session = validSession(context);
			assertThat(session.isValid()).isTrue();
			member().pause();
			// bounded: the revoke waits for the request timeout, not for etcd
			CompletableFuture<Void> closed = CompletableFuture.runAsync(context::close);
			await().atMost(REQUEST_TIMEOUT.plusSeconds(5)).until(closed::isDone);
			assertThat(session.isRunning()).isFalse();
		});
	}

	@Test
	void metricsRecordKeepAlivesLossesRenewalsAndTimeLeft() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			context.getBean("coordinationSessionGauges", MeterBinder.class).bindTo(registry);
			EtcdSession session = validSession(context);
			await().atMost(Duration.ofSeconds(5))
				.until(() -> registry.timer(CoordinationMeterNames.SESSION_KEEPALIVE, "outcome", "success").count() >= 2);
			assertThat(registry.get(CoordinationMeterNames.SESSION_VALID).gauge().value()).isEqualTo(1);
			assertThat(registry.get(CoordinationMeterNames.SESSION_TIME_LEFT).gauge().value()).isPositive()
				.isLessThanOrEqualTo(TTL.minus(MARGIN).toSeconds());

			etcd.client().getLeaseClient().revoke(session.leaseId()).get(5, TimeUnit.SECONDS);
			await().atMost(Duration.ofSeconds(5))
				.until(() -> registry.find(CoordinationMeterNames.SESSION_RENEWALS).counter() != null
						&& registry.find(CoordinationMeterNames.SESSION_RENEWALS).counter().count() == 1);
			assertThat(registry.get(CoordinationMeterNames.SESSION_LOSSES).tag("reason", "lease_gone").counter().count())
				.isEqualTo(1);
		});
	}

	private static EtcdSession validSession(ApplicationContext context) {
		EtcdSession session = context.getBean(EtcdSession.class);
		await().atMost(Duration.ofSeconds(5)).until(session::isValid);
		return session;
	}

	private static long remainingTtl(long leaseId) {
		try {
			return etcd.client().getLeaseClient().timeToLive(leaseId, LeaseOption.DEFAULT).get(5, TimeUnit.SECONDS).getTTL();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	record Event(String type, long leaseId, SessionLossReason reason, long nanos) {
	}

	/**
	 * What a session told its listener, with the instant it was told.
	 */
	static final class Events implements LeaseListener {

		private final List<Event> events = new CopyOnWriteArrayList<>();

		static Events of(EtcdSession session) {
			Events events = new Events();
			session.addLeaseListener(events);
			// the listener joins on the session thread and first hears of the current lease
			await().atMost(Duration.ofSeconds(1)).until(() -> !events.all("granted").isEmpty() || !session.isValid());
			return events;
		}

		@Override
		public void leaseGranted(long leaseId, boolean renewal) {
			this.events.add(new Event(renewal ? "renewed" : "granted", leaseId, null, System.nanoTime()));
		}

		@Override
		public void leaseLost(long leaseId, SessionLossReason reason) {
			this.events.add(new Event("lost", leaseId, reason, System.nanoTime()));
		}

		@Override
		public void leaseClosing(long leaseId) {
			this.events.add(new Event("closing", leaseId, null, System.nanoTime()));
		}

		List<Event> all(String type) {
			return this.events.stream().filter((event) -> event.type().equals(type)).toList();
		}

		Optional<Event> first(String type) {
			return this.events.stream().filter((event) -> event.type().equals(type)).findFirst();
		}

		Event awaitFirst(String type, Duration timeout) {
			return await().atMost(timeout).until(() -> first(type), Optional::isPresent).get();
		}

	}

}
