package dev.coordination.election.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.etcd.internal.CoordinationMeterNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Micrometer metrics of one election: a leader gauge, transitions by reason and tenure, all tagged
 * with the election name. Meter names are in {@link CoordinationMeterNames}.
 */
public class MicrometerElectionMetrics implements LeadershipListener {

	private final MeterRegistry registry;

	private final String election;

	private final Timer tenure;

	public MicrometerElectionMetrics(LeaderElection election, MeterRegistry registry) {
		this.registry = registry;
		this.election = election.name();
		Gauge.builder(CoordinationMeterNames.ELECTION_LEADER, election, (e) -> e.isLeader() ? 1 : 0)
			.description("Whether this instance leads the election")
			.tag("election", this.election)
			.register(registry);
		this.tenure = Timer.builder(CoordinationMeterNames.ELECTION_TENURE)
			.description("How long this instance led the election, per term")
			.tag("election", this.election)
			.register(registry);
	}

	@Override
	public void granted(LeadershipGrantedEvent event) {
		transition("granted");
	}

	@Override
	public void revoked(LeadershipRevokedEvent event) {
		transition(event.getReason().name().toLowerCase(Locale.ROOT));
		this.tenure.record(Duration.between(event.getTerm().since(), Instant.now()));
	}

	private void transition(String reason) {
		Counter.builder(CoordinationMeterNames.ELECTION_TRANSITIONS)
			.description("Leadership transitions of this instance")
			.tag("election", this.election)
			.tag("reason", reason)
			.register(this.registry)
			.increment();
	}

}
