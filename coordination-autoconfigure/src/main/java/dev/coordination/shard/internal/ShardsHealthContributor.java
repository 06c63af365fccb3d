package dev.coordination.shard.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * One health component per sharded workload: its shard count, the shards this instance owns, the
 * members it sees, the settled members the assignment is computed from, and the shards it sees
 * without an owner. UP while this instance takes part; UNKNOWN, with the reason under
 * {@code standingAside}, while it stands aside (its count differs from the one in force). Not
 * OUT_OF_SERVICE: that would turn the whole health 503, and a rolling change of the count, whose new
 * instances stand aside until the old ones stop, would then wait for itself; the starter reports no
 * OUT_OF_SERVICE. Whether the instance can coordinate at all is the session's health. Answers from
 * local state, without calling etcd.
 */
public class ShardsHealthContributor implements CompositeHealthContributor {

	private final EtcdShardedWorkloads workloads;

	public ShardsHealthContributor(EtcdShardedWorkloads workloads) {
		this.workloads = workloads;
	}

	@Override
	public @Nullable HealthContributor getContributor(String name) {
		return this.workloads.contains(name) ? indicator(this.workloads.get(name)) : null;
	}

	@Override
	public Stream<Entry> stream() {
		return this.workloads.all().stream().map((workload) -> new Entry(workload.name(), indicator(workload)));
	}

	private static HealthIndicator indicator(EtcdShardedWorkload workload) {
		return () -> {
			String standingAside = workload.standingAside().orElse(null);
			Health.Builder health = (standingAside != null) ? Health.status(Status.UNKNOWN) : Health.up();
			Map<Integer, String> owners = workload.owners();
			List<Integer> unowned = new ArrayList<>();
			for (int shard = 0; shard < workload.shardCount(); shard++) {
				if (!owners.containsKey(shard)) {
					unowned.add(shard);
				}
			}
			health.withDetail("count", workload.shardCount())
				.withDetail("owned", List.copyOf(workload.ownedShards()))
				.withDetail("members",
						workload.members().stream().map(EtcdShardedWorkload.MemberInfo::instanceId).distinct().toList())
				.withDetail("settled",
						workload.settledMembers().stream().map(ShardAssignment.Member::instanceId).toList())
				.withDetail("unowned", unowned);
			if (standingAside != null) {
				health.withDetail("standingAside", standingAside);
			}
			return health.build();
		};
	}

}
