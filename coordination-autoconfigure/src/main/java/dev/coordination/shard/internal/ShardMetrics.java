package dev.coordination.shard.internal;

import java.time.Duration;

/**
 * Where the sharded workloads report what they do.
 */
public interface ShardMetrics {

	/**
	 * Reports nothing.
	 */
	ShardMetrics NONE = new ShardMetrics() {
	};

	/**
	 * A workload started on this instance: report its owned shards from now on.
	 * @param workload the workload
	 */
	default void register(EtcdShardedWorkload workload) {
	}

	/**
	 * This instance took a shard that had been without an owner for {@code unowned}, as its view
	 * of etcd saw it.
	 * @param workload the workload name
	 * @param unowned how long the shard had no owner
	 */
	default void taken(String workload, Duration unowned) {
	}

	/**
	 * This instance applied a new membership of the workload: a rebalance.
	 * @param workload the workload name
	 */
	default void rebalanced(String workload) {
	}

	/**
	 * This instance gave up or lost shards.
	 * @param workload the workload name
	 * @param shards how many
	 * @param reason why, a {@link dev.coordination.shard.ShardsRevokedEvent.Reason} name
	 */
	default void revoked(String workload, int shards, String reason) {
	}

}
