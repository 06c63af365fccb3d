/**
 * Sharded workloads and {@code @ShardedBy} against a real etcd.
 */
package dev.coordination.it.shard;
