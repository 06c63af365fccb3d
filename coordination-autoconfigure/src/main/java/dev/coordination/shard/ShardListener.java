package dev.coordination.shard;

/**
 * Hears which shards of a workload this instance takes and gives up, like Kafka's
 * {@code ConsumerRebalanceListener}. Beans of this type hear every workload;
 * {@link ShardedWorkload#addListener} adds a listener of one workload.
 * <p>
 * Called on the workload's own thread ({@code coordination-shards-<name>}), one event at a time and
 * in the order things happened. A revocation waits for its listeners: the shards' keys are deleted,
 * and another instance can take the shards, only once every listener's {@link #revoked} returned,
 * so stop (and, if you must, flush) the shards' work there. Keep it short: the rebalance waits. When
 * the session is lost, the shards are no longer owned at once ({@link ShardedWorkload#isOwner}
 * answers {@code false}) and the listeners hear it afterwards. A listener that throws is logged and
 * does not stop the others.
 */
public interface ShardListener {

	/**
	 * This instance took these shards: it owns them now.
	 * @param event the workload, the shards and their fencing tokens
	 */
	default void assigned(ShardsAssignedEvent event) {
	}

	/**
	 * This instance gives up these shards (rebalance, shutdown), or lost them (session lost, key
	 * deleted). It no longer owns them.
	 * @param event the workload, the shards and why
	 */
	default void revoked(ShardsRevokedEvent event) {
	}

}
