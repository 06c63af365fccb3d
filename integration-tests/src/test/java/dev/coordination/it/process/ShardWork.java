package dev.coordination.it.process;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.coordination.etcd.internal.EtcdKeys;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The test side of the sharded-work checks: reads what {@link ShardWorker}s printed and wrote to
 * etcd, and checks "never two owners" and fencing.
 *
 * @param workload the workload name
 * @param shardCount its number of shards
 * @param prefix where the workers write their records, ending with {@code /}
 */
public record ShardWork(String workload, int shardCount, String prefix) {

	/**
	 * The owner keys of the workload, under the default {@code coordination.etcd.sharding.prefix}.
	 * @return the prefix, ending with {@code /}
	 */
	public String ownerKeyPrefix() {
		return "/shards/" + this.workload + "/owners/";
	}

	/**
	 * The member keys of the workload.
	 * @return the prefix, ending with {@code /}
	 */
	public String memberKeyPrefix() {
		return "/shards/" + this.workload + "/members/";
	}

	/**
	 * Remove what an earlier run left: the workload's keys (revoking their leases) and the records.
	 * @param client a client of the test's etcd
	 * @throws Exception when etcd does not answer within 5 s
	 */
	public void removeLeftovers(Client client) throws Exception {
		LeftoverKeys.remove(client, "/shards/" + this.workload + "/");
		client.getKVClient()
			.delete(EtcdKeys.bytes(this.prefix), DeleteOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
	}

	/**
	 * The owner of each owned shard, read from etcd.
	 * @param client a client of the test's etcd
	 * @return instance ids by shard
	 * @throws Exception when etcd does not answer within 5 s
	 */
	public Map<Integer, String> owners(Client client) throws Exception {
		Map<Integer, String> owners = new TreeMap<>();
		for (KeyValue kv : client.getKVClient()
			.get(EtcdKeys.bytes(ownerKeyPrefix()), GetOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS)
			.getKvs()) {
			owners.put(Integer.parseInt(EtcdKeys.string(kv.getKey()).substring(ownerKeyPrefix().length())),
					EtcdKeys.string(kv.getValue()));
		}
		return owners;
	}

	/**
	 * The instance ids of the members taking part, read from etcd.
	 * @param client a client of the test's etcd
	 * @return the instance ids
	 * @throws Exception when etcd does not answer within 5 s
	 */
	public Set<String> members(Client client) throws Exception {
		return client.getKVClient()
			.get(EtcdKeys.bytes(memberKeyPrefix()), GetOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS)
			.getKvs()
			.stream()
			.map((kv) -> EtcdKeys.string(kv.getValue()))
			.map((value) -> value.substring(value.indexOf("instance=") + "instance=".length()))
			.collect(Collectors.toSet());
	}

	/**
	 * Whether etcd shows the shards settled on exactly these instances: they are the members, every
	 * shard has an owner among them, and each owns {@code floor(N/k)} or {@code ceil(N/k)} shards.
	 * @param client a client of the test's etcd
	 * @param live the instance ids of the live instances
	 * @return whether every shard is owned as it should be
	 * @throws Exception when etcd does not answer within 5 s
	 */
	public boolean ownedBy(Client client, Collection<String> live) throws Exception {
		if (!members(client).equals(Set.copyOf(live))) {
			return false;
		}
		Map<Integer, String> owners = owners(client);
		if (owners.size() != this.shardCount || !live.containsAll(owners.values())) {
			return false;
		}
		Map<String, Long> counts = owners.values()
			.stream()
			.collect(Collectors.groupingBy((owner) -> owner, Collectors.counting()));
		int floor = this.shardCount / live.size();
		int ceil = (this.shardCount + live.size() - 1) / live.size();
		return live.stream().allMatch((id) -> {
			long owned = counts.getOrDefault(id, 0L);
			return owned >= floor && owned <= ceil;
		});
	}

	/**
	 * The intervals recorded in etcd: each one a fenced write etcd accepted.
	 * @param client a client of the test's etcd
	 * @param revision the revision to read at
	 * @return the intervals
	 * @throws Exception when etcd does not answer within 10 s
	 */
	public List<Interval> records(Client client, long revision) throws Exception {
		String records = this.prefix + "records/";
		List<Interval> intervals = new ArrayList<>();
		for (KeyValue kv : client.getKVClient()
			.get(EtcdKeys.bytes(records), GetOption.builder().isPrefix(true).withRevision(revision).build())
			.get(10, TimeUnit.SECONDS)
			.getKvs()) {
			// <shard>/<token>/<instanceId>-<seq>
			String[] shardAndName = EtcdKeys.string(kv.getKey()).substring(records.length()).split("/");
			String[] tokenStartEnd = EtcdKeys.string(kv.getValue()).split(" ");
			String name = shardAndName[2];
			intervals.add(new Interval(Integer.parseInt(shardAndName[0]), name.substring(0, name.lastIndexOf('-')),
					Long.parseLong(tokenStartEnd[0]), Long.parseLong(tokenStartEnd[1]), Long.parseLong(tokenStartEnd[2]),
					kv.getModRevision()));
		}
		return intervals;
	}

	/**
	 * The intervals the workers claimed, whatever became of their fenced writes: {@code WORK-OK},
	 * {@code WORK-REJECTED}, {@code WORK-LOST} and {@code WORK-FAILED}.
	 * @param lines the lines of every child
	 * @return the intervals, with revision 0 for those not accepted
	 */
	public static List<Interval> claims(Collection<ChildLine> lines) {
		return lines.stream()
			.filter((line) -> Set.of("WORK-OK", "WORK-REJECTED", "WORK-LOST", "WORK-FAILED").contains(line.kind()))
			.map((line) -> new Interval(Integer.parseInt(line.args().get(0)), line.child(),
					Long.parseLong(line.args().get(1)), Long.parseLong(line.args().get(2)),
					Long.parseLong(line.args().get(3)),
					line.kind().equals("WORK-OK") ? Long.parseLong(line.args().get(5)) : 0))
			.toList();
	}

	/**
	 * Never two owners: the intervals of one shard, ordered by start, each start after every earlier
	 * interval ended.
	 * @param what what the intervals are, for the failure message
	 * @param intervals the intervals
	 */
	public static void assertNoOverlap(String what, Collection<Interval> intervals) {
		assertThat(intervals).as(what).isNotEmpty();
		Map<Integer, List<Interval>> byShard = intervals.stream()
			.collect(Collectors.groupingBy(Interval::shard, TreeMap::new, Collectors.toList()));
		for (List<Interval> shard : byShard.values()) {
			List<Interval> sorted = shard.stream().sorted(Comparator.comparingLong(Interval::start)).toList();
			Interval latest = sorted.get(0);
			for (Interval next : sorted.subList(1, sorted.size())) {
				Interval previous = latest;
				assertThat(next.start()).as("%s of shard %d: %s starts after %s ended", what, next.shard(), next, previous)
					.isGreaterThan(previous.end());
				latest = (next.end() > latest.end()) ? next : latest;
			}
		}
	}

	/**
	 * Fencing: the accepted writes of each shard never go back in token in etcd's order, each token
	 * is one an instance was assigned for that shard, and every deliberate write with a revoked token
	 * was rejected.
	 * @param records the intervals recorded in etcd
	 * @param lines the lines of every child
	 */
	public static void assertFenced(Collection<Interval> records, Collection<ChildLine> lines) {
		Map<Integer, List<Interval>> byShard = records.stream()
			.collect(Collectors.groupingBy(Interval::shard, TreeMap::new, Collectors.toList()));
		for (List<Interval> shard : byShard.values()) {
			long highest = 0;
			for (Interval record : shard.stream().sorted(Comparator.comparingLong(Interval::revision)).toList()) {
				assertThat(record.token()).as("token of %s, written after token %d", record, highest)
					.isGreaterThanOrEqualTo(highest);
				highest = record.token();
			}
		}
		Map<String, String> assigned = new HashMap<>();
		lines(lines, "SHARD-ASSIGNED")
			.forEach((line) -> assigned.put(line.args().get(0) + "/" + line.args().get(1), line.child()));
		assertThat(records).as("records whose shard and token were assigned to their writer")
			.allSatisfy((record) -> assertThat(assigned.get(record.shard() + "/" + record.token()))
				.as("instance assigned %s", record)
				.isEqualTo(record.instance()));
		Set<String> written = records.stream()
			.map((record) -> record.shard() + "/" + record.instance() + "/" + record.revision())
			.collect(Collectors.toSet());
		assertThat(claims(lines)).as("fenced writes reported as accepted that etcd does not have")
			.filteredOn((claim) -> claim.revision() != 0)
			.filteredOn((claim) -> !written.contains(claim.shard() + "/" + claim.instance() + "/" + claim.revision()))
			.isEmpty();
		assertThat(lines(lines, "SHARD-STALE-OK")).as("writes with a revoked shard token that etcd accepted").isEmpty();
		assertThat(lines(lines, "SHARD-STALE-UNKNOWN")).as("writes with a revoked shard token without an answer")
			.isEmpty();
		assertThat(lines(lines, "WORK-STUCK")).as("shard work that did not end when its shard was revoked").isEmpty();
	}

	/**
	 * Whether every revocation (other than at shutdown) a child printed has had its stale write
	 * answered.
	 * @param child the child
	 * @return whether none is due any more
	 */
	public static boolean staleWritesDone(ChildProcess child) {
		Set<String> due = child.lines("SHARD-REVOKED")
			.stream()
			.filter((line) -> !line.args().get(2).equals("SHUTDOWN") && !line.args().get(1).equals("-1"))
			.map((line) -> line.args().get(0) + "/" + line.args().get(1))
			.collect(Collectors.toSet());
		Set<String> answered = child.lines()
			.stream()
			.filter((line) -> line.kind().startsWith("SHARD-STALE-"))
			.map((line) -> line.args().get(0) + "/" + line.args().get(1))
			.collect(Collectors.toSet());
		return answered.containsAll(due);
	}

	/**
	 * A one-line summary of the shard work, for the log and the README.
	 * @param records the intervals recorded in etcd
	 * @param lines the lines of every child
	 * @return the summary
	 */
	public static String summary(Collection<Interval> records, Collection<ChildLine> lines) {
		return String.format(java.util.Locale.ROOT,
				"shard work: %d intervals recorded by fenced writes (%d OK, %d rejected, %d lost, %d indeterminate "
						+ "reported), %d assignments, %d revocations, %d revoked-token writes rejected",
				records.size(), lines(lines, "WORK-OK").size(), lines(lines, "WORK-REJECTED").size(),
				lines(lines, "WORK-LOST").size(), lines(lines, "WORK-FAILED").size(),
				lines(lines, "SHARD-ASSIGNED").size(), lines(lines, "SHARD-REVOKED").size(),
				lines(lines, "SHARD-STALE-REJECTED").size());
	}

	private static List<ChildLine> lines(Collection<ChildLine> lines, String kind) {
		return lines.stream().filter((line) -> line.kind().equals(kind)).toList();
	}

	/**
	 * One unit of work on a shard.
	 *
	 * @param shard the shard
	 * @param instance the instance id of its worker
	 * @param token the fencing token it worked under
	 * @param start when it started ({@code System.nanoTime()})
	 * @param end when it ended
	 * @param revision the revision of its record in etcd, 0 when not accepted
	 */
	public record Interval(int shard, String instance, long token, long start, long end, long revision) {

	}

}
