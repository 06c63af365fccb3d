package dev.coordination.election.internal;

import java.util.stream.Stream;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderTerm;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * One health component per election this instance takes part in: its role (leader or follower),
 * who leads, and, when leading, since when and the fencing token. Always UP: whether the instance
 * can coordinate at all is the session's health.
 */
public class ElectionsHealthContributor implements CompositeHealthContributor {

	private final LeaderElections elections;

	public ElectionsHealthContributor(LeaderElections elections) {
		this.elections = elections;
	}

	@Override
	public @Nullable HealthContributor getContributor(String name) {
		return this.elections.elections()
			.stream()
			.filter((election) -> election.name().equals(name))
			.findFirst()
			.map(ElectionsHealthContributor::indicator)
			.orElse(null);
	}

	@Override
	public Stream<Entry> stream() {
		return this.elections.elections().stream().map((election) -> new Entry(election.name(), indicator(election)));
	}

	private static HealthIndicator indicator(LeaderElection election) {
		return () -> {
			Health.Builder health = Health.up();
			LeaderTerm term = election.currentTerm().orElse(null);
			health.withDetail("role", (term != null) ? "leader" : "follower");
			election.leader().map(Candidate::address).ifPresent((leader) -> health.withDetail("leader", leader));
			if (term != null) {
				health.withDetail("token", term.token()).withDetail("since", term.since().toString());
			}
			return health.build();
		};
	}

}
