package dev.coordination.shard;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;

/**
 * One named workload split into {@link #shardCount()} shards, numbered from 0, that the instances
 * taking part share: each live instance owns a fair part (with k instances of equal weight, each
 * owns {@code floor(N/k)} or {@code ceil(N/k)} shards), and a join or a leave moves only the shards
 * it must.
 * <p>
 * Guarantee: with a clock drift between hosts and etcd smaller than the session's safety margin, no
 * two instances own the same shard at the same time, whatever the failures. A shard is owned only
 * under an etcd key on the owner's session lease; a shard that moves is revoked on its old owner
 * (its {@link ShardListener#revoked revoked} listeners return and its {@code @ShardedBy} work for
 * that shard ends) before its key is deleted and the new owner can take it; an owner that cannot
 * prove its session alive stops owning everything at the session's local deadline, before etcd can
 * expire the lease. {@link #isOwner(int)} consults that deadline on every call. Not guaranteed: that
 * every shard always has an owner (a shard waits for its new owner during a rebalance, and nobody
 * takes shards while etcd is unreachable). Fencing tokens only grow from one ownership of a shard
 * to the next; use them to reject writes of a former owner that did not notice it lost the shard
 * ({@link #fencedWrite}).
 */
public interface ShardedWorkload {

	/**
	 * Name of this workload, as in {@code coordination.shards.<name>.count}.
	 * @return the name
	 */
	String name();

	/**
	 * Number of shards of the workload, as configured.
	 * @return the number of shards, at least 1
	 */
	int shardCount();

	/**
	 * The shards this instance owns now, in ascending order. Answers without calling etcd; empty
	 * once the session cannot prove its lease alive.
	 * @return a snapshot of the owned shards
	 */
	SortedSet<Integer> ownedShards();

	/**
	 * Whether this instance owns {@code shard} now: it holds the shard's key and its session is
	 * provably alive. Answers without calling etcd.
	 * @param shard a shard number, from 0 to {@code shardCount() - 1}
	 * @return {@code true} when owning it
	 * @throws IllegalArgumentException when the shard number is out of range
	 */
	boolean isOwner(int shard);

	/**
	 * Fencing token of this instance's ownership of {@code shard}: the create revision of the
	 * shard's key.
	 * @param shard a shard number
	 * @return the token, empty when this instance does not own the shard now
	 * @throws IllegalArgumentException when the shard number is out of range
	 */
	OptionalLong fencingToken(int shard);

	/**
	 * Which instance owns {@code shard}, as this instance last saw it through its watch on the
	 * workload.
	 * @param shard a shard number
	 * @return the owner's instance id, empty while the shard has no owner
	 * @throws IllegalArgumentException when the shard number is out of range
	 */
	Optional<String> owner(int shard);

	/**
	 * Write to etcd only while this instance's ownership of {@code shard} still exists there:
	 * {@code write} is applied in one transaction that first compares the shard's key with the
	 * ownership's {@linkplain #fencingToken(int) fencing token}. An owner whose key is gone has its
	 * write rejected, even when it does not know yet that it lost the shard.
	 * @param shard a shard number
	 * @param write the puts and deletes, and conditions of the caller's own
	 * @return whether it was applied, and whether the ownership still existed
	 * @throws IllegalStateException when this instance does not own the shard now
	 * @throws IllegalArgumentException when the shard number is out of range
	 * @throws dev.coordination.etcd.EtcdAccessException when etcd did not answer; the write may
	 * still be applied later
	 */
	WriteResult fencedWrite(int shard, FencedWrite write);

	/**
	 * Register a listener of this workload's shards on this instance.
	 * @param listener the listener
	 */
	void addListener(ShardListener listener);

	/**
	 * Unregister a listener.
	 * @param listener the listener
	 */
	void removeListener(ShardListener listener);

}
