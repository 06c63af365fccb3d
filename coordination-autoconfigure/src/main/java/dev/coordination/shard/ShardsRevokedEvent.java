package dev.coordination.shard;

import java.util.Collection;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * This instance gave up, or lost, some shards of a workload.
 */
public final class ShardsRevokedEvent {

	private final String workload;

	private final SortedSet<Integer> shards;

	private final Reason reason;

	/**
	 * Create the event.
	 * @param workload the workload name
	 * @param shards the shards given up or lost
	 * @param reason why
	 */
	public ShardsRevokedEvent(String workload, Collection<Integer> shards, Reason reason) {
		this.workload = workload;
		this.shards = Collections.unmodifiableSortedSet(new TreeSet<>(shards));
		this.reason = reason;
	}

	/**
	 * The workload name.
	 * @return the name
	 */
	public String getWorkload() {
		return this.workload;
	}

	/**
	 * The shards given up or lost, in ascending order.
	 * @return the shards
	 */
	public SortedSet<Integer> getShards() {
		return this.shards;
	}

	/**
	 * Why this instance no longer owns them.
	 * @return the reason
	 */
	public Reason getReason() {
		return this.reason;
	}

	@Override
	public String toString() {
		return "ShardsRevokedEvent[workload=" + this.workload + ", shards=" + this.shards + ", reason=" + this.reason
				+ "]";
	}

	/**
	 * Why shards were revoked.
	 */
	public enum Reason {

		/**
		 * The instances taking part changed and the shards move to another instance; their keys are
		 * deleted once the listeners return.
		 */
		REBALANCED,

		/**
		 * The application is shutting down; the keys are deleted once the listeners return.
		 */
		SHUTDOWN,

		/**
		 * The session could not prove its lease alive, or etcd reported it gone: the shards' keys
		 * are gone or about to go with the lease.
		 */
		SESSION_LOST,

		/**
		 * A shard's key was deleted by someone else (an operator with etcdctl, say) while the
		 * session was valid.
		 */
		KEY_DELETED

	}

}
