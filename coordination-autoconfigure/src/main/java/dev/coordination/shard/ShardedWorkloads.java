package dev.coordination.shard;

import java.util.Collection;

/**
 * The sharded workloads configured with {@code coordination.shards.<name>.count}, by name. This
 * instance takes part in every one of them from start-up to shutdown.
 */
public interface ShardedWorkloads {

	/**
	 * The workload with this name.
	 * @param name the workload name
	 * @return the workload
	 * @throws IllegalArgumentException when no {@code coordination.shards.<name>.count} configures
	 * it; the message lists the workloads that are configured
	 */
	ShardedWorkload workload(String name);

	/**
	 * Every configured workload.
	 * @return the workloads, in the order they are configured
	 */
	Collection<ShardedWorkload> workloads();

	/**
	 * Register a listener of every workload (beans of type {@link ShardListener} are registered
	 * automatically).
	 * @param listener the listener
	 */
	void addListener(ShardListener listener);

	/**
	 * Unregister a listener of every workload.
	 * @param listener the listener
	 */
	void removeListener(ShardListener listener);

}
