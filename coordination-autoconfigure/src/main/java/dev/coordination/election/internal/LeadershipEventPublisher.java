package dev.coordination.election.internal;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.election.RevocationReason;

import org.springframework.context.ApplicationEventPublisher;

/**
 * Publishes {@link LeadershipGrantedEvent} and {@link LeadershipRevokedEvent} for one election.
 */
public class LeadershipEventPublisher implements LeadershipListener {

	private final LeaderElection election;

	private final ApplicationEventPublisher publisher;

	public LeadershipEventPublisher(LeaderElection election, ApplicationEventPublisher publisher) {
		this.election = election;
		this.publisher = publisher;
	}

	@Override
	public void granted(LeaderTerm term) {
		this.publisher.publishEvent(new LeadershipGrantedEvent(this.election, term));
	}

	@Override
	public void revoked(LeaderTerm term, RevocationReason reason) {
		this.publisher.publishEvent(new LeadershipRevokedEvent(this.election, term, reason));
	}

}
