/**
 * Sharded work ownership on the coordination session: a workload split into a fixed number of
 * shards, each owned by exactly one live instance at a time, spread evenly over the instances that
 * take part; {@code @ShardedBy}, {@code ShardedWorkload}, shard listeners and fencing tokens.
 */
@NullMarked
package dev.coordination.shard;

import org.jspecify.annotations.NullMarked;
