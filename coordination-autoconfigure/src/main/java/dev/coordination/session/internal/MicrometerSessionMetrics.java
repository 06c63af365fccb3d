package dev.coordination.session.internal;

import java.time.Duration;
import java.util.Locale;

import dev.coordination.etcd.internal.CoordinationMeterNames;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionLossReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * {@link SessionMetrics} on Micrometer: keep-alive round trips, losses by reason, renewals, and
 * gauges of the time left and of validity. Meter names are in {@link CoordinationMeterNames}.
 */
public class MicrometerSessionMetrics implements SessionMetrics {

	private final MeterRegistry registry;

	private final Timer keepAliveSuccess;

	private final Timer keepAliveFailure;

	private final Counter renewals;

	public MicrometerSessionMetrics(MeterRegistry registry) {
		this.registry = registry;
		this.keepAliveSuccess = keepAliveTimer(registry, "success");
		this.keepAliveFailure = keepAliveTimer(registry, "failure");
		this.renewals = Counter.builder(CoordinationMeterNames.SESSION_RENEWALS)
			.description("Session leases granted after a loss")
			.register(registry);
	}

	/**
	 * The gauges that read a session: time left until its deadline, and validity.
	 * @param session the session
	 * @return a binder registering them
	 */
	public static MeterBinder gauges(CoordinationSession session) {
		return (registry) -> {
			Gauge.builder(CoordinationMeterNames.SESSION_TIME_LEFT, session, (s) -> s.timeLeft().toNanos() / 1e9)
				.description("Time left until the session's local safety deadline")
				.baseUnit("seconds")
				.register(registry);
			Gauge.builder(CoordinationMeterNames.SESSION_VALID, session, (s) -> s.isValid() ? 1 : 0)
				.description("Whether the session lease is provably alive")
				.register(registry);
		};
	}

	@Override
	public void keepAlive(Duration roundTrip, boolean success) {
		(success ? this.keepAliveSuccess : this.keepAliveFailure).record(roundTrip);
	}

	@Override
	public void granted(boolean renewal) {
		if (renewal) {
			this.renewals.increment();
		}
	}

	@Override
	public void lost(SessionLossReason reason) {
		Counter.builder(CoordinationMeterNames.SESSION_LOSSES)
			.description("Session leases lost")
			.tag("reason", reason.name().toLowerCase(Locale.ROOT))
			.register(this.registry)
			.increment();
	}

	private static Timer keepAliveTimer(MeterRegistry registry, String outcome) {
		return Timer.builder(CoordinationMeterNames.SESSION_KEEPALIVE)
			.description("Keep-alive round trips of the session lease")
			.tag("outcome", outcome)
			.register(registry);
	}

}
