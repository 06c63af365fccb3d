package dev.coordination.benchmarks.shard;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;

import dev.coordination.benchmarks.LatencyRows;
import dev.coordination.shard.internal.ShardAssignment;
import dev.coordination.shard.internal.ShardAssignment.Member;
import org.jspecify.annotations.Nullable;

/**
 * How many shards move when an instance joins (k - 1 to k instances) or leaves (k to k - 1), for
 * N shards, against the fewest moves that leave every instance with floor(N/k) or ceil(N/k)
 * shards. Pure computation with {@link ShardAssignment}, no etcd.
 * <p>
 * The starting state is settled (every shard owned by its target) and reached the way a fleet
 * reaches it: instances joining one at a time. A join is counted twice: shards whose target
 * changed, and shards taken while the protocol runs (each instance, in a random order, computes the
 * target from what it sees, gives up shards targeted elsewhere and takes unowned shards targeted to
 * it, until nothing changes). For a leave, every instance leaves in turn; the table shows the mean and
 * the largest excess over the minimum (the shards of the instance that left). The last column is what
 * a join would move if the assignment ignored the current owners (rendezvous hashing with quotas
 * alone).
 * <p>
 * Arguments: {@code --counts=64,1024 --from=2 --to=8 --workload=orders}.
 */
public final class ShardMovesMeasurement {

	private ShardMovesMeasurement() {
	}

	public static void main(String[] args) {
		String workload = LatencyRows.arg(args, "workload", "orders");
		int from = LatencyRows.intArg(args, "from", 2);
		int to = LatencyRows.intArg(args, "to", 8);
		StringBuilder report = new StringBuilder();
		report.append(String.format(Locale.ROOT, "Shards moved by ShardAssignment, workload '%s'%n", workload));
		report.append(String.format(Locale.ROOT, "%6s %3s | %11s %8s %9s %10s | %10s %9s %12s | %10s%n", "N", "k",
				"join moved", "join min", "protocol", "ceil(N/k)+1", "leave mean", "min mean", "excess (max)",
				"no owners"));
		for (String count : LatencyRows.arg(args, "counts", "64,1024").split(",")) {
			int n = Integer.parseInt(count.trim());
			for (int k = from; k <= to; k++) {
				report.append(row(workload, n, k));
			}
		}
		System.out.print(report);
	}

	private static String row(String workload, int count, int k) {
		List<Member> before = members(k - 1);
		List<Member> after = members(k);
		Map<Integer, String> settled = settledByJoins(workload, count, before);
		@Nullable String[] joined = ShardAssignment.assign(workload, count, after, settled);
		int joinMoved = changed(settled, joined).size();
		int joinMinimum = minimumMoves(settled, count, after);
		int protocol = protocolMoves(workload, count, after, settled, new Random(Objects.hash(count, k)));
		int naive = changed(owners(ShardAssignment.assign(workload, count, before, Map.of())),
				ShardAssignment.assign(workload, count, after, Map.of()))
			.size();
		Map<Integer, String> full = settledByJoins(workload, count, after);
		double leaveMoved = 0;
		double leaveMinimum = 0;
		int excess = 0;
		for (Member leaving : after) {
			List<Member> rest = new ArrayList<>(after);
			rest.remove(leaving);
			int moved = changed(full, ShardAssignment.assign(workload, count, rest, full)).size();
			int minimum = (int) full.values().stream().filter(leaving.instanceId()::equals).count();
			leaveMoved += moved;
			leaveMinimum += minimum;
			excess = Math.max(excess, moved - minimum);
		}
		return String.format(Locale.ROOT, "%6d %3d | %11d %8d %9d %10d | %10.1f %9.1f %12d | %10d%n", count, k,
				joinMoved, joinMinimum, protocol, (count + k - 1) / k + 1, leaveMoved / k, leaveMinimum / k, excess,
				naive);
	}

	/**
	 * The fewest moves from {@code owners} to a balanced state over {@code members}: the newcomers need
	 * at least floor(N/k) each, and no one may keep more than ceil(N/k).
	 */
	private static int minimumMoves(Map<Integer, String> owners, int count, List<Member> members) {
		int k = members.size();
		int floor = count / k;
		int ceil = (count + k - 1) / k;
		int toNewcomers = 0;
		int shed = 0;
		for (Member member : members) {
			long owned = owners.values().stream().filter(member.instanceId()::equals).count();
			if (owned == 0) {
				toNewcomers += floor;
			}
			shed += (int) Math.max(0, owned - ceil);
		}
		return Math.max(toNewcomers, shed);
	}

	private static int protocolMoves(String workload, int count, List<Member> members, Map<Integer, String> owners,
			Random random) {
		Map<Integer, String> state = new HashMap<>(owners);
		Set<Integer> taken = new HashSet<>();
		int moves = 0;
		boolean changed = true;
		while (changed) {
			changed = false;
			List<Member> turn = new ArrayList<>(members);
			Collections.shuffle(turn, random);
			for (Member member : turn) {
				String id = member.instanceId();
				@Nullable String[] target = ShardAssignment.assign(workload, count, members, state);
				changed |= state.entrySet().removeIf((entry) -> entry.getValue().equals(id) && !id.equals(target[entry.getKey()]));
				for (int shard = 0; shard < count; shard++) {
					if (id.equals(target[shard]) && !state.containsKey(shard)) {
						state.put(shard, id);
						taken.add(shard);
						moves++;
						changed = true;
					}
				}
			}
		}
		if (taken.size() != moves) {
			throw new IllegalStateException(moves - taken.size() + " shards moved twice");
		}
		return moves;
	}

	private static Map<Integer, String> settledByJoins(String workload, int count, List<Member> members) {
		Map<Integer, String> owners = Map.of();
		for (int k = 1; k <= members.size(); k++) {
			owners = owners(ShardAssignment.assign(workload, count, members.subList(0, k), owners));
		}
		return owners;
	}

	private static List<Member> members(int k) {
		return IntStream.range(0, k).mapToObj((i) -> new Member("instance-" + i, 1)).toList();
	}

	private static Map<Integer, String> owners(@Nullable String[] target) {
		Map<Integer, String> owners = new HashMap<>();
		for (int shard = 0; shard < target.length; shard++) {
			String owner = target[shard];
			if (owner != null) {
				owners.put(shard, owner);
			}
		}
		return owners;
	}

	private static List<Integer> changed(Map<Integer, String> owners, @Nullable String[] target) {
		return IntStream.range(0, target.length)
			.filter((shard) -> !Objects.equals(owners.get(shard), target[shard]))
			.boxed()
			.toList();
	}

}
