package dev.coordination.shard;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a method for the shards of a workload that this instance owns.
 * <ul>
 * <li>On a method without parameters, typically {@code @Scheduled}: each call runs the method
 * once per shard owned at the time of the call, one after the other, in ascending order, with
 * {@link ShardContext#currentShard()} and {@link ShardContext#currentToken()} telling which; a call
 * while no shard is owned does nothing. The method must return {@code void}.</li>
 * <li>On a method whose one parameter is the shard number ({@code int}, {@code long},
 * {@code Integer} or {@code Long}): the call runs only when this instance owns that shard, and is
 * skipped (returning {@code null}, or nothing) otherwise.</li>
 * </ul>
 * While the method runs for a shard, the shard is not given up: a rebalance that moves it waits
 * for the run to end before the shard's key is deleted. At shutdown, or when the session is lost, the running
 * threads are interrupted and the shard is no longer owned; check
 * {@link ShardContext#isStillOwner()} before an irreversible step, or write through
 * {@link ShardedWorkload#fencedWrite}. Any other signature, or a return type other than
 * {@code void} and plain values ({@code CompletionStage}, {@code Mono}, {@code Flux}), fails
 * start-up.
 * <p>
 * When the run for one shard throws, the other shards still run; the call then throws the first
 * failure, with the later ones suppressed in it (an {@link Error} ends the call at once). A call
 * whose thread is interrupted runs no further shard. {@code @ShardedBy} applies after
 * {@code @LeaderOnly} and before {@code @DistributedLocked} and {@code @Transactional}: a shard
 * that is not owned is skipped without taking a lock or opening a transaction, and a method
 * without parameters takes its lock and runs its transaction once per shard. With sharding turned
 * off ({@code coordination.enabled=false} or {@code coordination.etcd.sharding.enabled=false}),
 * this instance owns no shard and every call is skipped.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ShardedBy {

	/**
	 * The workload name, configured with {@code coordination.shards.<name>.count}.
	 * @return the workload name
	 */
	String value();

}
