package dev.coordination.election.internal;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.internal.ReactorLeadershipTests.ManualElection;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lines of {@link ElectionStatusLog} for an election that is not the starter's own (a
 * user-defined {@code LeaderElections}): what it knows through {@code LeaderElection} alone. The
 * starter's elections are checked against etcd in the integration tests.
 */
class ElectionStatusLogTests {

	@Test
	void nobodyLeads() {
		ManualElection election = new ManualElection();
		assertThat(ElectionStatusLog.status(election, "orders-1"))
			.isEqualTo("Election 'jobs': this instance (orders-1) has no leader, 0 candidates");
	}

	@Test
	void anotherInstanceLeadsAndIsTheOnlyCandidateKnown() {
		ManualElection election = new ManualElection();
		election.leader = new Candidate("orders-2", "10.0.0.2", 8080, Map.of(), 1234);
		assertThat(election.candidates()).containsExactly(election.leader);
		assertThat(ElectionStatusLog.status(election, "orders-1"))
			.isEqualTo("Election 'jobs': this instance (orders-1) follows orders-2 (token 1234), 1 candidate");
	}

	@Test
	void thisInstanceLeads() {
		ManualElection election = new ManualElection();
		election.term = new LeaderTerm("jobs", 1234, 42, "/elections/jobs/2a", Instant.EPOCH);
		election.leader = new Candidate("orders-1", null, 0, Map.of(), 1234);
		assertThat(ElectionStatusLog.status(election, "orders-1"))
			.isEqualTo("Election 'jobs': this instance (orders-1) is the leader (token 1234), 1 candidate");
		assertThat(List.of(election.candidates().get(0).token())).containsExactly(1234L);
	}

}
