/**
 * Sharded workload measurements: how long a rebalance takes and how many shards it moves, against
 * the fewest moves possible (a measurement of its own, not JMH).
 */
package dev.coordination.benchmarks.shard;
