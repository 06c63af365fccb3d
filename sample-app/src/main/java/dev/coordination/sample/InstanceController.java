package dev.coordination.sample;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderTerm;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /}: who this instance is and its role in the default election, in plain text, like
 * the classic etcd leader-election demo.
 */
@RestController
class InstanceController {

	private final LeaderElection election;

	private final WebServerApplicationContext context;

	private final String applicationName;

	InstanceController(LeaderElections elections, WebServerApplicationContext context,
			@Value("${spring.application.name}") String applicationName) {
		this.election = elections.election(LeaderElection.DEFAULT);
		this.context = context;
		this.applicationName = applicationName;
	}

	@GetMapping(path = "/", produces = "text/plain")
	String whoAmI() {
		String me = "I am " + this.applicationName + " on port " + this.context.getWebServer().getPort() + ". ";
		// one read of the term: leadership may end between two calls
		LeaderTerm term = this.election.currentTerm().orElse(null);
		if (term != null) {
			return me + "I am the leader (fencing token " + term.token() + ").\n";
		}
		return me + this.election.leader()
			.map(Candidate::address)
			.map((leader) -> "I am a follower and the leader is at " + leader + ".\n")
			.orElse("I am a follower and there is no leader right now.\n");
	}

}
