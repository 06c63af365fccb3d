package dev.coordination.shard;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * This instance took some shards of a workload.
 */
public final class ShardsAssignedEvent {

	private final String workload;

	private final SortedMap<Integer, Long> tokens;

	/**
	 * Create the event.
	 * @param workload the workload name
	 * @param tokens the shards taken, each with its fencing token
	 */
	public ShardsAssignedEvent(String workload, Map<Integer, Long> tokens) {
		this.workload = workload;
		this.tokens = Collections.unmodifiableSortedMap(new TreeMap<>(tokens));
	}

	/**
	 * The workload name.
	 * @return the name
	 */
	public String getWorkload() {
		return this.workload;
	}

	/**
	 * The shards taken, in ascending order.
	 * @return the shards
	 */
	public SortedSet<Integer> getShards() {
		return Collections.unmodifiableSortedSet(new java.util.TreeSet<>(this.tokens.keySet()));
	}

	/**
	 * The fencing token of each shard taken.
	 * @return the tokens by shard
	 */
	public SortedMap<Integer, Long> getTokens() {
		return this.tokens;
	}

	@Override
	public String toString() {
		return "ShardsAssignedEvent[workload=" + this.workload + ", shards=" + this.tokens.keySet() + "]";
	}

}
