/**
 * Sharded workload measurements: how many shards the assignment moves when an instance joins or
 * leaves, against the fewest moves that keep the shards balanced (pure computation, no etcd).
 */
package dev.coordination.benchmarks.shard;
