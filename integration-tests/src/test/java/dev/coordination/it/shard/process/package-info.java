/**
 * Sharded workloads among application instances that are separate JVMs, against a real etcd.
 */
package dev.coordination.it.shard.process;
