package dev.coordination.it.shard.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.process.ChildProcess;
import dev.coordination.it.process.ChildProcesses;
import dev.coordination.it.process.RaftLeader;
import dev.coordination.it.process.ShardWork;
import dev.coordination.it.process.ShardWork.Interval;
import dev.coordination.test.EtcdMember;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A sharded workload of {@value #SHARDS} shards among three application instances that are separate
 * JVMs ({@link ShardChildApplication}), against a 3-member etcd: through three joins, a SIGKILL, a
 * SIGSTOP past the session TTL then SIGCONT (a leave and a join), a restart of the etcd raft leader
 * and a graceful leave (SIGTERM), no two intervals of work on one shard overlap (neither those recorded by accepted
 * fenced writes nor any an instance claimed), every write with a revoked shard's token is rejected,
 * and after each membership change every shard is owned again, by the instances taking part in
 * fair shares (how long each change took is logged; rebalance times are measured in benchmarks/,
 * ShardRebalanceMeasurement). Session TTL 2 s, safety margin 500 ms, request
 * timeout 1 s, settle delay {@value #SETTLE_MILLIS} ms.
 */
class ShardProcessIT {

	private static final Log logger = LogFactory.getLog(ShardProcessIT.class);

	private static final int SHARDS = 16;

	private static final long SETTLE_MILLIS = 500;

	private static final Duration TTL = Duration.ofSeconds(2);

	/**
	 * How long to wait for every shard to be owned again after a membership change: the outcome is
	 * asserted, the time it takes is logged here and measured in benchmarks/
	 * (ShardRebalanceMeasurement); the liveness goal is TTL + settle delay + 1 s.
	 */
	private static final Duration OWNED_WITHIN = TTL.plusMillis(SETTLE_MILLIS).plusSeconds(11);

	private static final Duration STARTUP = Duration.ofSeconds(180);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder()
		.members(3)
		.requireLaunched()
		.args("--heartbeat-interval=100", "--election-timeout=500")
		.build());

	@RegisterExtension
	final ChildProcesses children = new ChildProcesses();

	private final ShardWork work = new ShardWork(ShardChildApplication.WORKLOAD, SHARDS, ShardChildApplication.PREFIX);

	private final List<ChildProcess> live = new ArrayList<>();

	private final Map<String, Duration> rebalances = new LinkedHashMap<>();

	@BeforeEach
	void startFromAnEmptyWorkload() throws Exception {
		// keys of an earlier test's killed children live on until their lease expires; the first calls to
		// a freshly launched cluster may take longer than a removal waits on a busy machine
		etcd.cluster().awaitHealthy(Duration.ofSeconds(30));
		await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
			this.work.removeLeftovers(etcd.client());
			return true;
		});
	}

	@AfterEach
	void leaveEtcdRunning() {
		etcd.cluster().restore(Duration.ofSeconds(20));
	}

	@Test
	void neverTwoOwnersOfAShardThroughJoinsLeavesKillsPausesAndAnEtcdMemberRestart() throws Exception {
		long started = System.nanoTime();
		ChildProcess a = join("a");
		ChildProcess b = join("b");
		ChildProcess c = join("c");

		long killed = System.nanoTime();
		c.kill();
		this.live.remove(c);
		awaitOwned("SIGKILL c", killed);

		pausePastTtl(a);
		restartRaftLeader();

		long terminated = System.nanoTime();
		b.terminate();
		this.live.remove(b);
		awaitOwned("SIGTERM b (graceful leave)", terminated);
		assertThat(b.awaitExit(Duration.ofSeconds(10))).as("b exits after SIGTERM").isTrue();

		// every revocation's stale write answered, then freeze the record: no write lands after etcd is read
		await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(100))
			.until(() -> this.live.stream().allMatch(ShardWork::staleWritesDone));
		this.live.forEach(ChildProcess::kill);
		long revision = etcd.client().getKVClient().get(EtcdKeys.bytes("/")).get(5, TimeUnit.SECONDS).getHeader()
			.getRevision();
		List<Interval> records = this.work.records(etcd.client(), revision);
		List<Interval> claims = ShardWork.claims(this.children.timeline());
		logger.info(String.format(Locale.ROOT, "Shard process run (%d s): %s; every shard owned again after %s",
				TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
				ShardWork.summary(records, this.children.timeline()), this.rebalances));

		ShardWork.assertNoOverlap("intervals recorded by accepted fenced writes", records);
		ShardWork.assertNoOverlap("intervals the instances claimed", claims);
		ShardWork.assertFenced(records, this.children.timeline());
		// the graceful leave gave the shards up: nobody waited for b's lease
		assertThat(b.lines("SHARD-REVOKED")).as("revocations of b after SIGTERM")
			.filteredOn((line) -> line.receivedNanos() > terminated)
			.isNotEmpty()
			.allSatisfy((line) -> assertThat(line.args().get(2)).as("reason of %s", line).isEqualTo("SHUTDOWN"));
		assertThat(this.children.lines("SHARD-STALE-REJECTED")).as("writes with a revoked shard token, rejected")
			.isNotEmpty();
	}

	/**
	 * Start an instance and wait until the shards are spread over it too, measured from the moment
	 * its member key is in etcd.
	 */
	private ChildProcess join(String name) throws Exception {
		ChildProcess child = this.children.startJvm(name, ShardChildApplication.class, etcd.endpointsAsString(),
				"--coordination.shards." + ShardChildApplication.WORKLOAD + ".count=" + SHARDS,
				"--coordination.shards." + ShardChildApplication.WORKLOAD + ".settle-delay=" + SETTLE_MILLIS + "ms");
		await().atMost(STARTUP).pollInterval(Duration.ofMillis(20))
			.until(() -> this.work.members(etcd.client()).contains(name) || !child.isAlive());
		long joined = System.nanoTime();
		assertThat(child.isAlive()).as("%s is alive; its output: %s", child, child.output()).isTrue();
		this.live.add(child);
		awaitOwned("join " + name, joined);
		return child;
	}

	/**
	 * SIGSTOP an instance for longer than the TTL: its shards go to the others once its lease
	 * expired; after SIGCONT it takes part again with a new session.
	 */
	private void pausePastTtl(ChildProcess child) throws Exception {
		child.pause();
		long paused = System.nanoTime();
		this.live.remove(child);
		awaitOwned("SIGSTOP " + child.name() + " (lease expiry)", paused);
		await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(20))
			.until(() -> System.nanoTime() - paused > TTL.plusSeconds(1).toNanos());
		child.resume();
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
			.until(() -> this.work.members(etcd.client()).contains(child.name()));
		long rejoined = System.nanoTime();
		this.live.add(child);
		awaitOwned("SIGCONT " + child.name() + " (joins again)", rejoined);
	}

	/**
	 * SIGKILL the etcd raft leader, keep it down for longer than the TTL, restart it: the shards stay
	 * owned, or are owned again within the bound once it is back.
	 */
	private void restartRaftLeader() throws Exception {
		EtcdMember member = etcd.cluster().member(RaftLeader.of(etcd.cluster(), etcd.client()));
		member.kill();
		long killed = System.nanoTime();
		await().atMost(TTL.plusSeconds(3)).pollInterval(Duration.ofMillis(20))
			.until(() -> System.nanoTime() - killed > TTL.plusSeconds(1).toNanos());
		member.start();
		etcd.cluster().awaitHealthy(Duration.ofSeconds(20));
		awaitOwned("etcd raft leader " + member.name() + " restarted", System.nanoTime());
	}

	/**
	 * Wait until every shard is owned by the live instances in fair shares, and note how long it took.
	 */
	private void awaitOwned(String change, long since) {
		List<String> ids = this.live.stream().map(ChildProcess::name).toList();
		await().atMost(OWNED_WITHIN).pollInterval(Duration.ofMillis(20))
			.until(() -> this.work.ownedBy(etcd.client(), ids));
		Duration time = Duration.ofNanos(System.nanoTime() - since);
		this.rebalances.put(change, time);
		logger.info("Every shard owned by " + ids + " " + time.toMillis() + " ms after " + change);
	}

}
