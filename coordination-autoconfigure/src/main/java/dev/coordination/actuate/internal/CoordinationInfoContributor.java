package dev.coordination.actuate.internal;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.internal.EtcdLeaderElection;

import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/**
 * Adds each election's leader and this instance's role in it to {@code /actuator/info}, under
 * {@code coordination.elections}: {@code role} is {@code leader}, {@code follower} (campaigning, not
 * leading), {@code waiting} (a candidate whose campaign is held back, for example until the
 * application is ready) or {@code observer} (not a candidate); {@code leader} is who leads as this
 * instance last saw it, with the leader's fencing token. Reads local state only: never calls etcd.
 */
public final class CoordinationInfoContributor implements InfoContributor {

	private final LeaderElections elections;

	/**
	 * Create a contributor.
	 * @param elections the elections to describe
	 */
	public CoordinationInfoContributor(LeaderElections elections) {
		this.elections = elections;
	}

	@Override
	public void contribute(Info.Builder builder) {
		List<LeaderElection> sorted = this.elections.elections()
			.stream()
			.sorted(Comparator.comparing(LeaderElection::name))
			.toList();
		Map<String, Object> elections = new LinkedHashMap<>();
		for (LeaderElection election : sorted) {
			elections.put(election.name(), describe(election));
		}
		builder.withDetail("coordination", Map.of("elections", elections));
	}

	private static Map<String, Object> describe(LeaderElection election) {
		Map<String, Object> details = new LinkedHashMap<>();
		LeaderTerm term = election.currentTerm().orElse(null);
		details.put("role", role(election, term != null));
		Candidate leader = election.leader().orElse(null);
		if (leader != null) {
			Map<String, Object> who = new LinkedHashMap<>();
			who.put("instanceId", leader.instanceId());
			who.put("address", leader.address());
			who.put("token", (term != null) ? term.token() : leader.token());
			details.put("leader", who);
		}
		if (term != null) {
			details.put("since", term.since());
		}
		return details;
	}

	private static String role(LeaderElection election, boolean leading) {
		if (leading) {
			return "leader";
		}
		if (election instanceof EtcdLeaderElection etcd) {
			if (!etcd.isCandidate()) {
				return "observer";
			}
			if (!etcd.isCampaigning()) {
				return "waiting";
			}
		}
		return "follower";
	}

}
