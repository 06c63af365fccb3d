package dev.coordination.it.election.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.process.ChildLine;
import dev.coordination.it.process.ChildProcess;
import dev.coordination.it.process.ChildProcesses;
import dev.coordination.it.process.LeftoverKeys;
import dev.coordination.test.EtcdMember;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Leader election among application instances that are separate JVMs
 * ({@link ElectionChildApplication}), against a real etcd: failover after SIGKILL and after a
 * graceful stop, a seeded sequence of faults (SIGKILL, SIGTERM, SIGSTOP of the leader, a paused
 * etcd) checked for "never two leaders" through fenced writes, and interoperation with
 * {@code etcdctl elect}. Session TTL 2 s, safety margin 500 ms, request timeout 1 s.
 */
class LeaderElectionProcessIT {

	private static final Log logger = LogFactory.getLog(LeaderElectionProcessIT.class);

	private static final Duration TTL = Duration.ofSeconds(2);

	private static final Duration STARTUP = Duration.ofSeconds(30);

	private static final String PREFIX = "/elections/default/";

	private static final JsonMapper json = JsonMapper.builder().build();

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	@RegisterExtension
	final ChildProcesses children = new ChildProcesses();

	@BeforeEach
	void startFromAnEmptyElection() throws Exception {
		// keys of an earlier test's killed children live on until their lease expires
		LeftoverKeys.remove(etcd.client(), "/elections/");
		KV kv = etcd.client().getKVClient();
		kv.delete(EtcdKeys.bytes("/fence/"), DeleteOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS);
	}

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void exactlyOneOfThreeChildrenLeadsAndItHoldsTheLowestKey() throws Exception {
		List<ChildProcess> three = startChildren(3, 1);
		ChildProcess leader = awaitSteadyLeader(three);
		await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
			.until(() -> this.children.lines("GRANTED").size() == 1);
		ChildLine granted = this.children.lines("GRANTED").get(0);
		assertThat(granted.child()).isEqualTo(leader.name());
		KeyValue lowest = candidates().get(0);
		assertThat(lowest.getCreateRevision()).isEqualTo(granted.token());
		assertThat(instanceId(lowest)).isEqualTo(granted.child());
		// every child's LeaderElection.leader() names it
		await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(three).allSatisfy((child) -> assertThat(
				child.last("LEADER")).hasValueSatisfying((line) -> {
					assertThat(line.leader()).isEqualTo(granted.child());
					assertThat(line.token()).isEqualTo(granted.token());
				})));
		// and it works as the leader: its fenced writes pass
		this.children.awaitLine((line) -> line.kind().equals("FENCED-OK") && line.child().equals(granted.child()),
				Duration.ofSeconds(3));
		assertThat(this.children.lines("FENCED-OK")).extracting(ChildLine::child).containsOnly(granted.child());
	}

	@Test
	void killedLeaderIsSucceededOnceItsLeaseExpires() throws Exception {
		List<ChildProcess> three = startChildren(3, 1);
		ChildProcess leader = awaitSteadyLeader(three);
		long token = currentToken(leader);

		long killedAt = System.nanoTime();
		leader.kill();
		ChildLine successor = awaitGrantedAfter(token, TTL.plusSeconds(3));

		Duration failover = Duration.ofNanos(successor.nanos() - killedAt);
		logger.info("Failover after SIGKILL of " + leader.name() + ": " + failover.toMillis() + " ms");
		assertThat(successor.child()).isNotEqualTo(leader.name());
		await().atMost(Duration.ofSeconds(2))
			.untilAsserted(() -> assertThat(instanceId(candidates().get(0))).isEqualTo(successor.child()));
		// LeaderElection.candidates() of both survivors: the killed leader dropped, the successor
		// first, the same line on both
		List<ChildProcess> survivors = three.stream().filter((child) -> child != leader).toList();
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			List<List<String>> lines = survivors.stream()
				.map((child) -> child.last("CANDIDATES").orElseThrow().args())
				.toList();
			assertThat(lines.get(0)).hasSize(2);
			assertThat(lines.get(0).get(0)).isEqualTo(successor.child() + "@" + successor.token());
			assertThat(lines.get(0)).noneMatch((candidate) -> candidate.startsWith(leader.name() + "@"));
			assertThat(lines.get(1)).isEqualTo(lines.get(0));
		});
	}

	@Test
	void gracefullyStoppedLeaderIsSucceededWithoutWaitingForItsLease() throws Exception {
		List<ChildProcess> three = startChildren(3, 1);
		ChildProcess leader = awaitSteadyLeader(three);
		long token = currentToken(leader);

		long stoppedAt = System.nanoTime();
		leader.terminate();
		ChildLine successor = awaitGrantedAfter(token, Duration.ofSeconds(3));

		Duration failover = Duration.ofNanos(successor.nanos() - stoppedAt);
		logger.info("Failover after SIGTERM of " + leader.name() + ": " + failover.toMillis() + " ms");
		// it resigned: its successor did not wait for its lease to expire (the latency is measured by
		// FailoverMeasurement in benchmarks)
		assertThat(failover).isLessThan(TTL);
		assertThat(successor.child()).isNotEqualTo(leader.name());
		assertThat(leader.awaitExit(Duration.ofSeconds(10))).isTrue();
		// it stopped leading before it left: the election resigned, then the session revoked its lease
		ChildLine revoked = leader.last("REVOKED").orElseThrow();
		assertThat(revoked.args().get(1)).isEqualTo("SHUTDOWN");
		assertThat(revoked.nanos()).isLessThan(successor.nanos());
		assertThat(candidates()).hasSize(2);
	}

	@Test
	void leaderPausedPastItsTtlReportsItsRevocationAsSessionLost() throws Exception {
		List<ChildProcess> two = startChildren(2, 1);
		ChildProcess leader = awaitSteadyLeader(two);
		long token = currentToken(leader);

		leader.pause();
		long pausedAt = System.nanoTime();
		// its lease expires meanwhile and its key goes with it: the other child takes over
		awaitGrantedAfter(token, TTL.plusSeconds(3));
		await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(20))
			.until(() -> System.nanoTime() - pausedAt > TTL.plusMillis(500).toNanos());
		leader.resume();

		// on resuming it may see the delete of its own key before its session notices the loss: the
		// cause is still the lost session, not someone deleting the key
		ChildLine revoked = this.children.awaitLine((line) -> line.child().equals(leader.name())
				&& line.kind().equals("REVOKED") && line.token() == token, Duration.ofSeconds(5));
		assertThat(revoked.args().get(1)).as("reason of %s", revoked).isEqualTo("SESSION_LOST");
	}

	@Test
	void neverTwoLeadersThroughASeededSequenceOfFaults() throws Exception {
		long seed = Long.getLong("coordination.it.chaos.seed", 20261124L);
		Random random = new Random(seed);
		// every fault twice, about 30 s in all
		List<Fault> faults = new ArrayList<>(List.of(Fault.values()));
		faults.addAll(List.of(Fault.values()));
		Collections.shuffle(faults, random);
		logger.info("Fault sequence (seed " + seed + ", -Dcoordination.it.chaos.seed to change): " + faults);
		long startRevision = headRevision();
		long started = System.nanoTime();
		Chaos chaos = new Chaos(random, startChildren(3, 1));
		for (Fault fault : faults) {
			chaos.inject(fault);
		}
		awaitSteadyLeader(chaos.live);
		// freeze the record: no write may land after etcd's history has been read
		chaos.live.forEach(ChildProcess::kill);

		List<ChildLine> grants = this.children.lines("GRANTED").stream()
			.sorted(Comparator.comparingLong(ChildLine::nanos))
			.toList();
		Map<Long, String> history = history(ElectionChildApplication.COUNTER_KEY, startRevision);
		List<ChildLine> ok = this.children.lines("FENCED-OK").stream()
			.sorted(Comparator.comparingLong(ChildLine::revision))
			.toList();
		logger.info(String.format(Locale.ROOT,
				"Chaos summary (seed %d, %d s): %d faults, %d leadership grants, fenced writes %d OK / %d rejected / "
						+ "%d failed, %d writes in etcd's history (%d of them reported as failed: applied after the "
						+ "request timeout), max failover %d ms%n  %s",
				seed, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), faults.size(), grants.size(), ok.size(),
				this.children.lines("FENCED-REJECTED").size(), this.children.lines("FENCED-FAILED").size(), history.size(),
				history.size() - ok.size(), chaos.failovers.stream().mapToLong(Duration::toMillis).max().orElse(0),
				String.join("\n  ", chaos.report)));

		// 1. terms follow each other: tokens grow in the order leadership was granted
		assertThat(grants).extracting(ChildLine::token).isSorted().doesNotHaveDuplicates();
		// 2. etcd's history of the fenced key: tokens never go back, and every write was made while
		// its writer held the lowest key of the election
		long highest = 0;
		for (Map.Entry<Long, String> write : history.entrySet()) {
			long writtenToken = Long.parseLong(write.getValue().substring(0, write.getValue().indexOf(':')));
			assertThat(writtenToken).as("token written at revision %d", write.getKey()).isGreaterThanOrEqualTo(highest);
			highest = writtenToken;
			List<KeyValue> candidates = candidates(write.getKey());
			assertThat(candidates).as("candidates at revision %d", write.getKey()).isNotEmpty();
			assertThat(candidates.get(0).getCreateRevision()).as("lowest key at revision %d", write.getKey())
				.isEqualTo(writtenToken);
		}
		// 3. what the children reported matches etcd, and no write passed with a token older than one written
		assertThat(ok).isNotEmpty().allSatisfy((line) -> assertThat(history.get(line.revision()))
			.isEqualTo(line.token() + ":" + line.seq()));
		long maxWritten = 0;
		int older = 0;
		for (ChildLine line : ok) {
			older += (line.token() < maxWritten) ? 1 : 0;
			maxWritten = Math.max(maxWritten, line.token());
		}
		assertThat(older).as("FENCED-OK with a token older than one already written").isZero();
		// 4. every paused-then-resumed leader had its stale write rejected (asserted as it happened)
		assertThat(chaos.staleWritesRejected).isEqualTo(Collections.frequency(faults, Fault.PAUSE_LEADER));
	}

	@Test
	void etcdctlCandidateLeadsUntilItResignsThenAChildLeadsAndEtcdctlObservesIt() throws Exception {
		String endpoints = etcd.endpointsAsString();
		ChildProcess etcdctl = this.children.startCommand("etcdctl-elect",
				List.of("etcdctl", "--endpoints=" + endpoints, "elect", "/elections/default", "etcdctl-candidate"));
		// etcdctl prints its key and value once elected
		await().atMost(Duration.ofSeconds(10)).until(() -> etcdctl.output().contains("etcdctl-candidate"));
		List<ChildProcess> two = startChildren(2, 1);
		await().atMost(Duration.ofSeconds(5)).until(() -> candidates().size() == 3);
		assertThat(EtcdKeys.string(candidates().get(0).getValue())).isEqualTo("etcdctl-candidate");
		// the children see etcdctl as the leader through LeaderElection.leader(), and do not lead
		await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(two).allSatisfy((child) -> assertThat(
				child.last("LEADER")).hasValueSatisfying((line) -> assertThat(line.leader()).isEqualTo("etcdctl-candidate"))));
		await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
			.until(() -> this.children.lines("GRANTED").isEmpty());

		long resignedAt = System.nanoTime();
		etcdctl.terminate();
		ChildLine granted = this.children.awaitLine(kind("GRANTED"), Duration.ofSeconds(3));
		logger.info(granted.child() + " leads " + Duration.ofNanos(granted.nanos() - resignedAt).toMillis()
				+ " ms after etcdctl was sent SIGTERM");
		assertThat(etcdctl.awaitExit(Duration.ofSeconds(5))).isTrue();
		assertThat(instanceId(candidates().get(0))).isEqualTo(granted.child());

		// etcdctl in listen mode shows our leader's identity, as JSON
		ChildProcess listener = this.children.startCommand("etcdctl-listen",
				List.of("etcdctl", "--endpoints=" + endpoints, "elect", "-l", "/elections/default"));
		String identity = await().atMost(Duration.ofSeconds(10))
			.until(() -> listener.output().stream().filter((line) -> line.startsWith("{")).findFirst(),
					Optional::isPresent)
			.get();
		assertThat(json.readTree(identity).get("instanceId").asString()).isEqualTo(granted.child());
	}

	/**
	 * Start children one after the other: JVMs starting together on 2 cores starve each other, and a
	 * session whose first lease took too long to be granted is lost again at once.
	 */
	private List<ChildProcess> startChildren(int count, int firstNumber) {
		List<ChildProcess> started = new ArrayList<>();
		for (int number = firstNumber; number < firstNumber + count; number++) {
			ChildProcess child = this.children.startJvm("child-" + number, ElectionChildApplication.class, etcd.endpointsAsString());
			awaitReady(List.of(child));
			started.add(child);
		}
		return started;
	}

	private void awaitReady(List<ChildProcess> started) {
		await().atMost(STARTUP).untilAsserted(() -> assertThat(started).allSatisfy((child) -> {
			assertThat(child.isAlive()).as("%s is alive", child).isTrue();
			assertThat(child.lines("READY")).as("%s is ready", child).isNotEmpty();
		}));
	}

	/**
	 * Wait until exactly one live child leads and has written under its term, and all of them are
	 * candidates.
	 */
	private ChildProcess awaitSteadyLeader(List<ChildProcess> live) {
		return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).until(() -> {
			List<ChildProcess> leaders = live.stream().filter(this::leads).toList();
			if (leaders.size() != 1 || candidates().size() != live.size()) {
				return null;
			}
			ChildProcess leader = leaders.get(0);
			long token = currentToken(leader);
			boolean wrote = leader.lines("FENCED-OK").stream().anyMatch((line) -> line.token() == token);
			return wrote ? leader : null;
		}, (leader) -> leader != null);
	}

	private boolean leads(ChildProcess child) {
		if (!child.isAlive() || child.isPaused()) {
			return false;
		}
		List<ChildLine> changes = child.lines().stream()
			.filter((line) -> line.kind().equals("GRANTED") || line.kind().equals("REVOKED"))
			.toList();
		return !changes.isEmpty() && changes.get(changes.size() - 1).kind().equals("GRANTED");
	}

	private long currentToken(ChildProcess leader) {
		return leader.last("GRANTED").orElseThrow().token();
	}

	private ChildLine awaitGrantedAfter(long token, Duration atMost) {
		return this.children.awaitLine((line) -> line.kind().equals("GRANTED") && line.token() > token, atMost);
	}

	private static Predicate<ChildLine> kind(String kind) {
		return (line) -> line.kind().equals(kind);
	}

	private static String instanceId(KeyValue candidate) {
		return json.readTree(EtcdKeys.string(candidate.getValue())).get("instanceId").asString();
	}

	private static long headRevision() throws Exception {
		return etcd.client().getKVClient().get(EtcdKeys.bytes("/")).get(5, TimeUnit.SECONDS).getHeader().getRevision();
	}

	/**
	 * The candidates of election {@code default} now, lowest create revision first.
	 */
	private static List<KeyValue> candidates() throws Exception {
		return candidates(0);
	}

	/**
	 * The candidates of election {@code default} at a revision, lowest create revision first.
	 */
	private static List<KeyValue> candidates(long revision) throws Exception {
		GetResponse response = etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(PREFIX), GetOption.builder().isPrefix(true).withRevision(revision).build())
			.get(5, TimeUnit.SECONDS);
		return response.getKvs().stream().sorted(Comparator.comparingLong(KeyValue::getCreateRevision)).toList();
	}

	/**
	 * Every value a key had after a revision, by the revision that wrote it, read back one revision
	 * at a time (the test etcd is never compacted).
	 */
	private static Map<Long, String> history(String key, long afterRevision) throws Exception {
		KV kv = etcd.client().getKVClient();
		long head = headRevision();
		Map<Long, String> history = new TreeMap<>();
		Set<Long> seen = new LinkedHashSet<>();
		for (long revision = afterRevision + 1; revision <= head; revision++) {
			GetResponse response = kv.get(EtcdKeys.bytes(key), GetOption.builder().withRevision(revision).build())
				.get(5, TimeUnit.SECONDS);
			for (KeyValue value : response.getKvs()) {
				if (value.getModRevision() > afterRevision && seen.add(value.getModRevision())) {
					history.put(value.getModRevision(), EtcdKeys.string(value.getValue()));
				}
			}
		}
		return history;
	}

	/**
	 * The faults of one chaos run and what they did, over the children that are alive.
	 */
	private final class Chaos {

		private final Random random;

		private final List<ChildProcess> live;

		private final List<String> report = new ArrayList<>();

		private final List<Duration> failovers = new ArrayList<>();

		private int lastNumber;

		private int staleWritesRejected;

		Chaos(Random random, List<ChildProcess> children) {
			this.random = random;
			this.live = new ArrayList<>(children);
			this.lastNumber = children.size();
		}

		void inject(Fault fault) {
			ChildProcess leader = awaitSteadyLeader(this.live);
			long token = currentToken(leader);
			switch (fault) {
				case KILL_CHILD, TERMINATE_CHILD -> stopAndReplace(fault, leader, token);
				case PAUSE_LEADER -> pauseLeader(leader, token);
				case PAUSE_ETCD -> pauseEtcd(leader, token);
			}
		}

		/**
		 * SIGKILL or SIGTERM the leader or a follower, then start a new child.
		 */
		private void stopAndReplace(Fault fault, ChildProcess leader, long token) {
			List<ChildProcess> followers = this.live.stream().filter((child) -> child != leader).toList();
			ChildProcess victim = this.random.nextBoolean() ? leader
					: followers.get(this.random.nextInt(followers.size()));
			long at = System.nanoTime();
			if (fault == Fault.KILL_CHILD) {
				victim.kill();
			}
			else {
				victim.terminate();
				assertThat(victim.awaitExit(Duration.ofSeconds(10))).as("%s exits after SIGTERM", victim).isTrue();
			}
			this.live.remove(victim);
			String outcome = "";
			if (victim == leader) {
				ChildLine successor = awaitGrantedAfter(token, TTL.plusSeconds(5));
				Duration failover = Duration.ofNanos(successor.nanos() - at);
				this.failovers.add(failover);
				outcome = ", failover to " + successor.child() + " in " + failover.toMillis() + " ms";
			}
			ChildProcess replacement = LeaderElectionProcessIT.this.children
				.startJvm("child-" + (++this.lastNumber), ElectionChildApplication.class, etcd.endpointsAsString());
			this.live.add(replacement);
			awaitReady(List.of(replacement));
			this.report.add(fault + " " + victim.name() + ((victim == leader) ? " (leader)" : " (follower)") + outcome);
		}

		/**
		 * SIGSTOP the leader's JVM in the middle of its work, for longer than the TTL, then SIGCONT:
		 * the write it finishes with its old token must be rejected.
		 */
		private void pauseLeader(ChildProcess leader, long token) {
			int written = leader.lines("FENCED-OK").size();
			// right after a write, the leader is inside the work of its next one
			await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(5))
				.until(() -> leader.lines("FENCED-OK").size() > written);
			leader.pause();
			long pausedAt = System.nanoTime();
			ChildLine successor = awaitGrantedAfter(token, TTL.plusSeconds(3));
			await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(20))
				.until(() -> System.nanoTime() - pausedAt > TTL.plusMillis(500).toNanos());
			leader.resume();
			long pausedFor = System.nanoTime() - pausedAt;
			ChildLine stale = LeaderElectionProcessIT.this.children.awaitLine((line) -> line.child().equals(leader.name())
					&& line.kind().startsWith("FENCED-") && line.token() == token && line.receivedNanos() > pausedAt,
					Duration.ofSeconds(5));
			assertThat(stale.kind()).as("fenced write of %s after it resumed", leader).isEqualTo("FENCED-REJECTED");
			this.staleWritesRejected++;
			LeaderElectionProcessIT.this.children.awaitLine((line) -> line.child().equals(leader.name())
					&& line.kind().equals("REVOKED") && line.token() == token, Duration.ofSeconds(5));
			Duration failover = Duration.ofNanos(successor.nanos() - pausedAt);
			this.failovers.add(failover);
			this.report.add(Fault.PAUSE_LEADER + " " + leader.name() + " for " + Duration.ofNanos(pausedFor).toMillis()
					+ " ms, failover to " + successor.child() + " in " + failover.toMillis()
					+ " ms, its stale write rejected");
		}

		/**
		 * SIGSTOP etcd for longer than the TTL, then SIGCONT: every session is lost, then a new
		 * leader is elected.
		 */
		private void pauseEtcd(ChildProcess leader, long token) {
			EtcdMember member = etcd.cluster().member(0);
			member.pause();
			long pausedAt = System.nanoTime();
			LeaderElectionProcessIT.this.children.awaitLine((line) -> line.child().equals(leader.name())
					&& line.kind().equals("REVOKED") && line.token() == token, TTL.plusSeconds(2));
			await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(20))
				.until(() -> System.nanoTime() - pausedAt > TTL.plusMillis(500).toNanos());
			member.resume();
			long resumedAt = System.nanoTime();
			ChildLine next = awaitGrantedAfter(token, Duration.ofSeconds(15));
			this.report.add(Fault.PAUSE_ETCD + " for " + Duration.ofNanos(resumedAt - pausedAt).toMillis() + " ms, "
					+ next.child() + " leads " + Duration.ofNanos(next.nanos() - resumedAt).toMillis()
					+ " ms after etcd resumed");
		}

	}

	enum Fault {

		/**
		 * SIGKILL a child (the leader or a follower), then start a new one.
		 */
		KILL_CHILD,

		/**
		 * SIGTERM a child (the leader or a follower), then start a new one.
		 */
		TERMINATE_CHILD,

		/**
		 * SIGSTOP the leader's JVM for longer than the TTL, then SIGCONT.
		 */
		PAUSE_LEADER,

		/**
		 * SIGSTOP etcd for longer than the TTL, then SIGCONT.
		 */
		PAUSE_ETCD

	}

}
