package dev.coordination.sample;

import java.util.SortedSet;
import java.util.stream.Collectors;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderTerm;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /}: who this instance is, its role in the default election, like the classic etcd
 * leader-election demo, and the shards of the sharded workload {@code invoices} it owns, in plain
 * text on one line.
 */
@RestController
class InstanceController {

	private final LeaderElection election;

	private final ShardedWorkload invoices;

	private final WebServerApplicationContext context;

	private final String applicationName;

	InstanceController(LeaderElections elections, ShardedWorkloads workloads, WebServerApplicationContext context,
			@Value("${spring.application.name}") String applicationName) {
		this.election = elections.election(LeaderElection.DEFAULT);
		this.invoices = workloads.workload(InvoiceWorker.WORKLOAD);
		this.context = context;
		this.applicationName = applicationName;
	}

	@GetMapping(path = "/", produces = "text/plain")
	String whoAmI() {
		String me = "I am " + this.applicationName + " on port " + this.context.getWebServer().getPort() + ". ";
		return me + role() + " " + shards() + "\n";
	}

	private String role() {
		// one read of the term: leadership may end between two calls
		LeaderTerm term = this.election.currentTerm().orElse(null);
		if (term != null) {
			return "I am the leader (fencing token " + term.token() + ").";
		}
		return this.election.leader()
			.map(Candidate::address)
			.map((leader) -> "I am a follower and the leader is at " + leader + ".")
			.orElse("I am a follower and there is no leader right now.");
	}

	private String shards() {
		// one snapshot: shards move while this runs
		SortedSet<Integer> owned = this.invoices.ownedShards();
		String of = "the " + this.invoices.shardCount() + " " + this.invoices.name() + " shards";
		if (owned.isEmpty()) {
			return "I own none of " + of + ".";
		}
		return "I own " + owned.size() + " of " + of + ": "
				+ owned.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ".";
	}

}
