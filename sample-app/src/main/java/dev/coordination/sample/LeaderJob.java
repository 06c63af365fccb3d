package dev.coordination.sample;

import dev.coordination.election.LeaderChangedEvent;
import dev.coordination.election.LeaderContext;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * A job that runs on the leader only, every few seconds, and logs leadership changes: this
 * instance's own, and who leads as this instance sees it.
 */
@Component
class LeaderJob implements LeadershipListener {

	private static final Log logger = LogFactory.getLog(LeaderJob.class);

	@Scheduled(fixedDelayString = "${sample.leader-job.interval:5s}")
	@LeaderOnly
	public void report() {
		logger.info("Leader job ran under fencing token " + LeaderContext.currentTerm().orElseThrow().token());
	}

	@Override
	public void granted(LeadershipGrantedEvent event) {
		logger.info("Leadership of '" + event.getElection() + "' granted, token " + event.getToken());
	}

	@Override
	public void revoked(LeadershipRevokedEvent event) {
		logger.info("Leadership of '" + event.getElection() + "' revoked (" + event.getReason() + "), token "
				+ event.getToken());
	}

	@Override
	public void leaderChanged(LeaderChangedEvent event) {
		logger.info(event.getLeader()
			.map((leader) -> "Election '" + event.getElection() + "' is now led by " + leader.instanceId() + " at "
					+ leader.address() + " (token " + leader.token() + ")")
			.orElse("Election '" + event.getElection() + "' has no leader"));
	}

}
