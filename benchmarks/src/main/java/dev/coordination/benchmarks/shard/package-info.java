/**
 * Sharded workload measurements: how long a rebalance takes against etcd and how many shards it
 * moves, and how many shards the assignment itself moves on a join or a leave (pure computation),
 * each against the fewest moves possible (measurements of their own, not JMH).
 */
package dev.coordination.benchmarks.shard;
