package dev.coordination.shard.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.coordination.shard.internal.ShardAssignment.Member;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * {@link ShardAssignment} as a pure function (balance, determinism, minimal moves, weights), and the
 * distributed protocol built on it, simulated: every instance computes the target from what it sees,
 * gives up the shards targeted elsewhere and takes the unowned shards targeted to it, at its own pace.
 */
class ShardAssignmentTests {

	private static final String WORKLOAD = "orders";

	private static final int[] COUNTS = { 1, 7, 64, 1024 };

	@Test
	void everyMemberGetsFloorOrCeilingOfAnEqualShareFromNoOwners() {
		for (int count : COUNTS) {
			for (int k = 1; k <= 10; k++) {
				List<Member> members = members(k);
				assertBalanced(ShardAssignment.assign(WORKLOAD, count, members, Map.of()), count, members);
			}
		}
	}

	@Test
	void everyMemberGetsFloorOrCeilingOfAnEqualShareFromAnyOwners() {
		Random random = new Random(20);
		for (int count : COUNTS) {
			for (int k = 1; k <= 10; k++) {
				List<Member> members = members(k);
				for (int run = 0; run < 20; run++) {
					Map<Integer, String> owners = randomOwners(random, count, members);
					assertBalanced(ShardAssignment.assign(WORKLOAD, count, members, owners), count, members);
				}
			}
		}
	}

	@Test
	void targetDoesNotDependOnTheOrderOfMembersOrOwners() {
		Random random = new Random(21);
		for (int count : COUNTS) {
			for (int k = 1; k <= 10; k++) {
				List<Member> members = members(k);
				for (int run = 0; run < 10; run++) {
					Map<Integer, String> owners = randomOwners(random, count, members);
					@Nullable String[] expected = ShardAssignment.assign(WORKLOAD, count, members, new TreeMap<>(owners));
					List<Member> shuffled = new ArrayList<>(members);
					Collections.shuffle(shuffled, random);
					List<Integer> shards = new ArrayList<>(owners.keySet());
					Collections.shuffle(shards, random);
					Map<Integer, String> reordered = new LinkedHashMap<>();
					shards.forEach((shard) -> reordered.put(shard, owners.get(shard)));
					assertThat(ShardAssignment.assign(WORKLOAD, count, shuffled, reordered))
						.as("%d shards, %d members, run %d", count, k, run)
						.containsExactly(expected);
				}
			}
		}
	}

	@Test
	void aJoinMovesOnlyTheNewMembersQuotaToIt() {
		for (int count : COUNTS) {
			Map<Integer, String> settled = Map.of();
			for (int k = 1; k <= 10; k++) {
				List<Member> members = members(k);
				@Nullable String[] target = ShardAssignment.assign(WORKLOAD, count, members, settled);
				String joined = members.get(k - 1).instanceId();
				List<Integer> moved = changed(settled, target);
				long quota = Arrays.stream(target).filter(joined::equals).count();
				// the minimum: the new member's share has to come from somewhere
				assertThat(moved).as("%d shards, join %d -> %d", count, k - 1, k)
					.hasSize((int) quota)
					.allMatch((shard) -> joined.equals(target[shard]));
				if (k > 1) {
					assertThat(moved.size()).isLessThanOrEqualTo(ceil(count, k) + 1);
				}
				settled = owners(target);
			}
		}
	}

	@Test
	void aJoinFromAnySettledStateMovesOnlyTheNewMembersQuota() {
		Random random = new Random(22);
		for (int count : COUNTS) {
			for (int k = 1; k <= 9; k++) {
				List<Member> before = members(k);
				// settled, but reached from arbitrary owners rather than from joins one at a time
				Map<Integer, String> settled = owners(
						ShardAssignment.assign(WORKLOAD, count, before, randomOwners(random, count, before)));
				List<Member> after = members(k + 1);
				@Nullable String[] target = ShardAssignment.assign(WORKLOAD, count, after, settled);
				String joined = after.get(k).instanceId();
				assertThat(changed(settled, target)).as("%d shards, join %d -> %d", count, k, k + 1)
					.hasSize((int) Arrays.stream(target).filter(joined::equals).count());
			}
		}
	}

	@Test
	void aLeaveMovesOnlyTheShardsOfTheMemberThatLeft() {
		for (int count : COUNTS) {
			for (int k = 2; k <= 10; k++) {
				List<Member> members = members(k);
				Map<Integer, String> settled = settledByJoins(count, members);
				for (Member leaving : members) {
					List<Member> rest = new ArrayList<>(members);
					rest.remove(leaving);
					// the member that left still owns its shards until its lease ends: that changes nothing
					for (Map<Integer, String> owners : List.of(settled, without(settled, leaving.instanceId()))) {
						@Nullable String[] target = ShardAssignment.assign(WORKLOAD, count, rest, owners);
						assertThat(changed(settled, target)).as("%d shards, %s of %d leaves", count, leaving, k)
							.containsExactlyElementsOf(shardsOf(settled, leaving.instanceId()));
						assertBalanced(target, count, rest);
					}
				}
			}
		}
	}

	@Test
	void protocolConvergesAfterAJoinMovingEveryShardAtMostOnce() {
		for (int count : COUNTS) {
			for (int k = 1; k <= 8; k++) {
				Map<Integer, String> settled = settledByJoins(count, members(k));
				assertConverges(count, members(k + 1), settled, Set.of(), "join " + k + " -> " + (k + 1));
			}
		}
	}

	@Test
	void protocolConvergesAfterALeaveMovingEveryShardAtMostOnce() {
		for (int count : COUNTS) {
			for (int k = 2; k <= 8; k++) {
				List<Member> members = members(k);
				Map<Integer, String> settled = settledByJoins(count, members);
				Member leaving = members.get(k / 2);
				List<Member> rest = new ArrayList<>(members);
				rest.remove(leaving);
				// gracefully: its shards are unowned at once
				assertConverges(count, rest, without(settled, leaving.instanceId()), Set.of(),
						"leave " + k + " -> " + (k - 1));
				// crashed: it owns its shards until its lease expires
				assertConverges(count, rest, settled, Set.of(leaving.instanceId()), "crash " + k + " -> " + (k - 1));
			}
		}
	}

	@Test
	void protocolConvergesAfterSeveralChangesAtOnceMovingEveryShardAtMostOnce() {
		for (int count : COUNTS) {
			List<Member> members = members(6);
			Map<Integer, String> settled = settledByJoins(count, members);
			// instance-1 and instance-4 crash, instance-6 and instance-7 join
			List<Member> next = new ArrayList<>(members(8));
			next.removeIf((member) -> member.instanceId().equals("instance-1") || member.instanceId().equals("instance-4"));
			assertConverges(count, next, settled, Set.of("instance-1", "instance-4"), "two crash, two join");
			// two join and one leaves gracefully
			next = new ArrayList<>(members(8));
			next.removeIf((member) -> member.instanceId().equals("instance-2"));
			assertConverges(count, next, without(settled, "instance-2"), Set.of(), "two join, one leaves");
			// from nothing owned, and from arbitrary owners (some of them gone)
			assertConverges(count, members, Map.of(), Set.of(), "from nothing");
			Map<Integer, String> arbitrary = randomOwners(new Random(count), count, members);
			Set<String> gone = new HashSet<>(arbitrary.values());
			gone.removeAll(ids(members));
			assertConverges(count, members, arbitrary, gone, "from arbitrary owners");
		}
	}

	@Test
	void protocolConvergesWhenMembershipChangesAgainDuringARebalance() {
		Random random = new Random(23);
		for (int count : COUNTS) {
			for (int run = 0; run < 20; run++) {
				List<Member> first = members(4);
				Map<Integer, String> state = new HashMap<>(settledByJoins(count, first));
				// a join starts moving shards; some instances have acted, the rest act on stale computations
				List<Member> second = members(5);
				@Nullable String[] stale = ShardAssignment.assign(WORKLOAD, count, second, state);
				List<Member> order = new ArrayList<>(second);
				Collections.shuffle(order, random);
				for (Member member : order.subList(0, 1 + random.nextInt(order.size()))) {
					act(state, member.instanceId(), stale, null);
				}
				// meanwhile another instance joins and one leaves gracefully
				List<Member> third = new ArrayList<>(members(6));
				third.remove(random.nextInt(6));
				state = without(state, ids(members(6)).stream()
					.filter((id) -> !ids(third).contains(id))
					.findFirst()
					.orElseThrow());
				Map<String, @Nullable String[]> computations = new HashMap<>();
				second.forEach((member) -> computations.put(member.instanceId(), stale));
				Map<Integer, Integer> moves = new HashMap<>();
				int rounds = 0;
				while (!settled(count, third, state)) {
					assertThat(rounds++).as("%d shards, run %d: rounds", count, run).isLessThan(4);
					List<Member> turn = new ArrayList<>(third);
					Collections.shuffle(turn, random);
					for (Member member : turn) {
						@Nullable String[] fresh = ShardAssignment.assign(WORKLOAD, count, third, state);
						@Nullable String[] used = (random.nextBoolean()) ? computations.getOrDefault(member.instanceId(), fresh)
								: fresh;
						act(state, member.instanceId(), used, moves);
						computations.put(member.instanceId(), fresh);
					}
				}
				assertBalanced(ShardAssignment.assign(WORKLOAD, count, third, state), count, third);
			}
		}
	}

	@Test
	void sharesFollowTheWeights() {
		List<Member> members = List.of(new Member("a", 1), new Member("b", 2), new Member("c", 3));
		assertThat(loads(ShardAssignment.assign(WORKLOAD, 60, members, Map.of()))).containsExactlyInAnyOrderEntriesOf(
				Map.of("a", 10L, "b", 20L, "c", 30L));
		// 64 * 1/3 = 21.33 and 64 * 2/3 = 42.67: the one shard left goes to the larger remainder
		assertThat(loads(ShardAssignment.assign(WORKLOAD, 64, List.of(new Member("a", 1), new Member("b", 2)), Map.of())))
			.containsExactlyInAnyOrderEntriesOf(Map.of("a", 21L, "b", 43L));
	}

	@Test
	void memberWithWeightZeroGetsNoShardsAndGivesUpWhatItOwns() {
		List<Member> members = List.of(new Member("a", 1), new Member("b", 2), new Member("c", 3), new Member("idle", 0));
		Map<Integer, String> owners = new HashMap<>();
		IntStream.range(0, 60).forEach((shard) -> owners.put(shard, "idle"));
		for (Map<Integer, String> current : List.of(Map.<Integer, String>of(), owners)) {
			@Nullable String[] target = ShardAssignment.assign(WORKLOAD, 60, members, current);
			assertThat(target).doesNotContainNull().doesNotContain("idle");
			assertThat(loads(target)).containsExactlyInAnyOrderEntriesOf(Map.of("a", 10L, "b", 20L, "c", 30L));
		}
	}

	@Test
	void noShardHasATargetWhenEveryWeightIsZero() {
		List<Member> members = List.of(new Member("a", 0), new Member("b", 0));
		assertThat(ShardAssignment.assign(WORKLOAD, 7, members, Map.of(0, "a", 1, "b"))).hasSize(7).containsOnlyNulls();
		assertThat(ShardAssignment.assign(WORKLOAD, 7, List.of(), Map.of(0, "a"))).hasSize(7).containsOnlyNulls();
	}

	@Test
	void twoWorkloadsSpreadDifferently() {
		for (int k = 2; k <= 8; k++) {
			List<Member> members = members(k);
			@Nullable String[] orders = ShardAssignment.assign("orders", 1024, members, Map.of());
			@Nullable String[] invoices = ShardAssignment.assign("invoices", 1024, members, Map.of());
			long same = IntStream.range(0, 1024).filter((shard) -> Objects.equals(orders[shard], invoices[shard])).count();
			// independent spreads agree on about 1/k of the shards
			assertThat(same).as("%d members", k).isLessThan(2 * 1024 / k);
			assertBalanced(invoices, 1024, members);
		}
	}

	@Test
	void anInstanceListedTwiceCountsOnce() {
		List<Member> members = List.of(new Member("a", 1), new Member("b", 1), new Member("b", 1));
		assertThat(loads(ShardAssignment.assign(WORKLOAD, 64, members, Map.of())))
			.containsExactlyInAnyOrderEntriesOf(Map.of("a", 32L, "b", 32L));
		// listed twice with two weights (an instance restarted with another weight before its old lease ended)
		List<Member> reweighted = List.of(new Member("a", 1), new Member("b", 3), new Member("b", 1));
		@Nullable String[] target = ShardAssignment.assign(WORKLOAD, 64, reweighted, Map.of());
		assertThat(target).doesNotContainNull();
		assertThat(ShardAssignment.assign(WORKLOAD, 64, List.of(reweighted.get(2), reweighted.get(1), reweighted.get(0)),
				Map.of()))
			.containsExactly(target);
	}

	@Test
	void noShardsGiveAnEmptyTargetAndANegativeCountIsRejected() {
		assertThat(ShardAssignment.assign(WORKLOAD, 0, members(3), Map.of())).isEmpty();
		assertThatIllegalArgumentException().isThrownBy(() -> ShardAssignment.assign(WORKLOAD, -1, members(3), Map.of()))
			.withMessage("count must not be negative, but was -1");
	}

	/**
	 * Run the protocol from {@code initial} until every shard is owned by its target, in three ways:
	 * all instances compute from one state and act together; one after another in a random order,
	 * each on a fresh computation; and one after another where an instance may act on the computation
	 * it made a turn earlier, while others have acted since. Owners in {@code crashed} keep their shards
	 * for two rounds (until their lease expires). Asserts that every computation along the way gives the
	 * first target, that no shard is taken twice and exactly the shards the first computation moves are
	 * taken, and that it converges within three rounds of the last lease expiry.
	 */
	private static void assertConverges(int count, List<Member> members, Map<Integer, String> initial,
			Set<String> crashed, String description) {
		@Nullable String[] expected = ShardAssignment.assign(WORKLOAD, count, members, initial);
		Set<Integer> predicted = new HashSet<>(changed(initial, expected));
		Random random = new Random(Objects.hash(count, description));
		for (String mode : List.of("together", "in turn", "stale")) {
			String as = count + " shards, " + description + ", " + mode;
			Map<Integer, String> state = new HashMap<>(initial);
			Map<Integer, Integer> moves = new HashMap<>();
			Map<String, @Nullable String[]> computations = new HashMap<>();
			int rounds = 0;
			while (!settled(count, members, state)) {
				assertThat(rounds).as(as + ": rounds").isLessThan((crashed.isEmpty() ? 0 : 2) + 3);
				if (rounds == 2) {
					crashed.forEach((id) -> state.keySet().removeIf((shard) -> id.equals(state.get(shard))));
				}
				rounds++;
				if (mode.equals("together")) {
					@Nullable String[] target = ShardAssignment.assign(WORKLOAD, count, members, state);
					assertThat(target).as(as).containsExactly(expected);
					members.forEach((member) -> release(state, member.instanceId(), target));
					members.forEach((member) -> take(state, member.instanceId(), target, moves));
					continue;
				}
				List<Member> turn = new ArrayList<>(members);
				Collections.shuffle(turn, random);
				for (Member member : turn) {
					@Nullable String[] fresh = ShardAssignment.assign(WORKLOAD, count, members, state);
					assertThat(fresh).as(as).containsExactly(expected);
					@Nullable String[] used = (mode.equals("stale") && random.nextBoolean())
							? computations.getOrDefault(member.instanceId(), fresh) : fresh;
					act(state, member.instanceId(), used, moves);
					computations.put(member.instanceId(), fresh);
				}
			}
			assertThat(moves).as(as + ": shards taken twice").allSatisfy((shard, times) -> assertThat(times).isOne());
			assertThat(moves.keySet()).as(as + ": shards taken").isEqualTo(predicted);
			assertBalanced(expected, count, members);
		}
	}

	private static void act(Map<Integer, String> state, String instance, @Nullable String[] target,
			@Nullable Map<Integer, Integer> moves) {
		release(state, instance, target);
		take(state, instance, target, (moves != null) ? moves : new HashMap<>());
	}

	private static void release(Map<Integer, String> state, String instance, @Nullable String[] target) {
		state.entrySet().removeIf((entry) -> entry.getValue().equals(instance) && !instance.equals(target[entry.getKey()]));
	}

	private static void take(Map<Integer, String> state, String instance, @Nullable String[] target,
			Map<Integer, Integer> moves) {
		for (int shard = 0; shard < target.length; shard++) {
			if (instance.equals(target[shard]) && !state.containsKey(shard)) {
				state.put(shard, instance);
				moves.merge(shard, 1, Integer::sum);
			}
		}
	}

	private static boolean settled(int count, List<Member> members, Map<Integer, String> state) {
		@Nullable String[] target = ShardAssignment.assign(WORKLOAD, count, members, state);
		return IntStream.range(0, count).allMatch((shard) -> Objects.equals(target[shard], state.get(shard)));
	}

	private static void assertBalanced(@Nullable String[] target, int count, List<Member> members) {
		assertThat(target).hasSize(count).doesNotContainNull();
		Set<String> ids = ids(members);
		assertThat(target).allMatch(ids::contains);
		Map<String, Long> loads = loads(target);
		for (String id : ids) {
			assertThat(loads.getOrDefault(id, 0L)).as("%s of %d with %d shards", id, members.size(), count)
				.isBetween((long) count / members.size(), (long) ceil(count, members.size()));
		}
	}

	private static Map<Integer, String> settledByJoins(int count, List<Member> members) {
		Map<Integer, String> owners = Map.of();
		for (int k = 1; k <= members.size(); k++) {
			owners = owners(ShardAssignment.assign(WORKLOAD, count, members.subList(0, k), owners));
		}
		return owners;
	}

	/**
	 * Arbitrary owners: members, instances that are no longer members, and unowned shards.
	 */
	private static Map<Integer, String> randomOwners(Random random, int count, List<Member> members) {
		Map<Integer, String> owners = new HashMap<>();
		for (int shard = 0; shard < count; shard++) {
			int pick = random.nextInt(members.size() + 3);
			if (pick < members.size()) {
				owners.put(shard, members.get(pick).instanceId());
			}
			else if (pick < members.size() + 2) {
				owners.put(shard, "gone-" + (pick - members.size()));
			}
		}
		return owners;
	}

	static List<Member> members(int k) {
		return IntStream.range(0, k).mapToObj((i) -> new Member("instance-" + i, 1)).toList();
	}

	private static Set<String> ids(List<Member> members) {
		return members.stream().map(Member::instanceId).collect(Collectors.toSet());
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

	private static Map<Integer, String> without(Map<Integer, String> owners, String instance) {
		Map<Integer, String> rest = new HashMap<>(owners);
		rest.values().removeIf(instance::equals);
		return rest;
	}

	private static List<Integer> shardsOf(Map<Integer, String> owners, String instance) {
		return owners.keySet().stream().filter((shard) -> instance.equals(owners.get(shard))).sorted().toList();
	}

	private static List<Integer> changed(Map<Integer, String> owners, @Nullable String[] target) {
		return IntStream.range(0, target.length)
			.filter((shard) -> !Objects.equals(owners.get(shard), target[shard]))
			.boxed()
			.toList();
	}

	private static Map<String, Long> loads(@Nullable String[] target) {
		return Arrays.stream(target).filter(Objects::nonNull).collect(Collectors.groupingBy(Function.identity(),
				Collectors.counting()));
	}

	private static int ceil(int count, int k) {
		return (count + k - 1) / k;
	}

}
