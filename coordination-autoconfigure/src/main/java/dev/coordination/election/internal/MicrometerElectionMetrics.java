package dev.coordination.election.internal;

import java.time.Duration;
import java.util.Locale;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.RevocationReason;
import dev.coordination.etcd.internal.CoordinationMeterNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * {@link ElectionMetrics} on Micrometer: per election a leader gauge, transitions by reason and
 * tenure, all tagged with the election name. Meter names are in {@link CoordinationMeterNames}.
 */
public class MicrometerElectionMetrics implements ElectionMetrics {

	private final MeterRegistry registry;

	public MicrometerElectionMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void joined(LeaderElection election) {
		Gauge.builder(CoordinationMeterNames.ELECTION_LEADER, election, (e) -> e.isLeader() ? 1 : 0)
			.description("Whether this instance leads the election")
			.tag("election", election.name())
			.register(this.registry);
	}

	@Override
	public void granted(String election) {
		transition(election, "granted");
	}

	@Override
	public void revoked(String election, RevocationReason reason, Duration tenure) {
		transition(election, reason.name().toLowerCase(Locale.ROOT));
		Timer.builder(CoordinationMeterNames.ELECTION_TENURE)
			.description("How long this instance led the election, per term")
			.tag("election", election)
			.register(this.registry)
			.record(tenure);
	}

	private void transition(String election, String reason) {
		Counter.builder(CoordinationMeterNames.ELECTION_TRANSITIONS)
			.description("Leadership transitions of this instance")
			.tag("election", election)
			.tag("reason", reason)
			.register(this.registry)
			.increment();
	}

}
