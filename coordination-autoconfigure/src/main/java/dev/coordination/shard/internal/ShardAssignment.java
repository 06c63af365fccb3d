package dev.coordination.shard.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * Which instance should own each shard of a workload: a pure function of the members taking part
 * and of who owns what now, that every instance computes alike from the same revision of etcd.
 * <p>
 * With equal weights every member gets floor(N/k) or ceil(N/k) shards. From a settled state (every
 * shard owned by its target) a join moves exactly the newcomer's quota to it, and a leave moves
 * exactly the shards of the member that left. Quotas depend on the members only, never on who owns
 * what, so while the instances give up and take shards, each at its own pace, every intermediate
 * state gives the same target: no shard moves twice. That holds for one membership; a membership
 * that changes again during a rebalance may move a shard twice.
 */
public final class ShardAssignment {

	private ShardAssignment() {
	}

	/**
	 * The target owner of every shard.
	 * @param workload the workload name (mixed into the hashes, so two workloads spread differently)
	 * @param count the number of shards
	 * @param members the members taking part, in any order; an instance listed more than once (a
	 * restarted instance whose old registration has not expired yet) counts once, with its largest
	 * weight
	 * @param owners the current owner (instance id) of each owned shard; owners that are not members
	 * are ignored
	 * @return the target owner of each shard, indexed by shard number; {@code null} entries only when
	 * no member has a positive weight
	 */
	public static @Nullable String[] assign(String workload, int count, List<Member> members,
			Map<Integer, String> owners) {
		Assert.isTrue(count >= 0, () -> "count must not be negative, but was " + count);
		@Nullable String[] target = new String[count];
		Map<String, Member> byId = new TreeMap<>();
		for (Member member : members) {
			byId.merge(member.instanceId(), member, (one, other) -> (one.weight() >= other.weight()) ? one : other);
		}
		List<Member> taking = byId.values().stream().filter((member) -> member.weight() > 0).toList();
		if (taking.isEmpty()) {
			return target;
		}
		Map<String, Integer> quota = quotas(workload, count, taking);
		Map<String, Integer> load = new HashMap<>();
		// 1. current owners keep what they own, up to their quota, best-ranked shards first
		Map<String, List<Integer>> kept = new HashMap<>();
		long[] ownerScore = new long[count];
		owners.forEach((shard, owner) -> {
			if (shard >= 0 && shard < count && quota.containsKey(owner)) {
				kept.computeIfAbsent(owner, (id) -> new ArrayList<>()).add(shard);
				ownerScore[shard] = score(workload, shard, owner);
			}
		});
		kept.forEach((owner, shards) -> {
			shards.sort(Comparator.comparingLong((Integer shard) -> ownerScore[shard])
				.reversed()
				.thenComparing(Comparator.naturalOrder()));
			int keep = Math.min(shards.size(), quota.getOrDefault(owner, 0));
			for (int i = 0; i < keep; i++) {
				target[shards.get(i)] = owner;
			}
			load.put(owner, keep);
		});
		// 2. every other shard, in order, to the best-ranked member with room left
		for (int shard = 0; shard < count; shard++) {
			if (target[shard] != null) {
				continue;
			}
			Member best = null;
			long bestScore = 0;
			for (Member member : taking) {
				String id = member.instanceId();
				if (load.getOrDefault(id, 0) >= quota.getOrDefault(id, 0)) {
					continue;
				}
				long score = score(workload, shard, id);
				if (best == null || score > bestScore) {
					best = member;
					bestScore = score;
				}
			}
			if (best != null) {
				target[shard] = best.instanceId();
				load.merge(best.instanceId(), 1, Integer::sum);
			}
		}
		return target;
	}

	/**
	 * How many shards each member owns: its share by weight, rounded down, and the remaining shards
	 * one each to the members with the largest remainders (ties to the best-ranked by hash, so the
	 * choice does not depend on who owns what).
	 */
	static Map<String, Integer> quotas(String workload, int count, List<Member> members) {
		long total = members.stream().mapToLong(Member::weight).sum();
		Map<String, Integer> quota = new HashMap<>();
		List<Member> byRemainder = new ArrayList<>(members);
		int given = 0;
		for (Member member : members) {
			int share = (int) ((long) count * member.weight() / total);
			quota.put(member.instanceId(), share);
			given += share;
		}
		byRemainder.sort(Comparator.comparingLong((Member member) -> ((long) count * member.weight()) % total)
			.thenComparingLong((member) -> score(workload, -1, member.instanceId()))
			.reversed());
		for (int i = 0; given < count; i++, given++) {
			quota.merge(byRemainder.get(i % byRemainder.size()).instanceId(), 1, Integer::sum);
		}
		return quota;
	}

	/**
	 * Rendezvous score of a shard on an instance: the higher, the more the instance wants it.
	 */
	static long score(String workload, int shard, String instanceId) {
		long hash = 0xcbf29ce484222325L;
		for (byte b : (workload + '\u0000' + shard + '\u0000' + instanceId).getBytes(StandardCharsets.UTF_8)) {
			hash ^= (b & 0xff);
			hash *= 0x100000001b3L;
		}
		// finalise (splitmix64), so nearby inputs spread
		hash ^= hash >>> 30;
		hash *= 0xbf58476d1ce4e5b9L;
		hash ^= hash >>> 27;
		hash *= 0x94d049bb133111ebL;
		hash ^= hash >>> 31;
		return hash;
	}

	/**
	 * A member of a workload.
	 *
	 * @param instanceId its instance id
	 * @param weight its weight, 0 for an instance that takes part without owning shards
	 */
	public record Member(String instanceId, int weight) {
	}

}
