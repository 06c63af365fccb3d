package dev.coordination.sample;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderContext;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * A job that runs on the leader only, every few seconds, and logs leadership changes: this
 * instance's own, and who leads as this instance sees it.
 */
@Component
class LeaderJob {

	private static final Log logger = LogFactory.getLog(LeaderJob.class);

	LeaderJob(LeaderElections elections) {
		elections.election(LeaderElection.DEFAULT).addListener(new LeadershipListener() {

			@Override
			public void leaderChanged(Candidate leader) {
				logger.info((leader != null) ? "Election '" + LeaderElection.DEFAULT + "' is now led by "
						+ leader.instanceId() + " at " + leader.address() + " (token " + leader.token() + ")"
						: "Election '" + LeaderElection.DEFAULT + "' has no leader");
			}

		});
	}

	@Scheduled(fixedDelayString = "${sample.leader-job.interval:5s}")
	@LeaderOnly
	public void report() {
		logger.info("Leader job ran under fencing token " + LeaderContext.currentTerm().orElseThrow().token());
	}

	@EventListener
	void granted(LeadershipGrantedEvent event) {
		logger.info("Leadership of '" + event.getElection() + "' granted, token " + event.getToken());
	}

	@EventListener
	void revoked(LeadershipRevokedEvent event) {
		logger.info("Leadership of '" + event.getElection() + "' revoked (" + event.getReason() + "), token "
				+ event.getToken());
	}

}
