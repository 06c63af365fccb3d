package dev.coordination.it.chaos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.process.ChildLine;
import dev.coordination.it.process.ChildProcess;
import dev.coordination.it.process.LeftoverKeys;
import dev.coordination.it.process.RaftLeader;
import dev.coordination.it.process.ShardWork;
import dev.coordination.test.EtcdMember;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import dev.coordination.test.proxy.TcpProxy;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The chaos suite: a 3-member etcd on loopback, three application instances as separate JVMs
 * ({@link ChaosChildApplication}) using every capability at once (election {@code default} with
 * fenced writes, a fenced lock on a shared counter, configuration watched from etcd, service
 * registration), and faults injected in a seeded random order ({@code -Dchaos.seed=...}), each
 * logged with its offset from the start:
 * <ul>
 * <li>{@link Fault#MEMBER_LOSS_LEADER} / {@link Fault#MEMBER_LOSS_FOLLOWER}: SIGKILL the etcd raft
 * leader (found with the Maintenance status API) / SIGTERM a follower, and restart it: a window in
 * which nothing may change for the applications (no leadership change, no lock or session loss, the
 * configuration change made meanwhile seen by every instance as an event);</li>
 * <li>{@link Fault#PAUSE_MEMBER}: SIGSTOP one etcd member for a while;</li>
 * <li>{@link Fault#PAUSE_CLUSTER}: SIGSTOP every member for longer than the session TTL;</li>
 * <li>{@link Fault#KILL_APP}: SIGKILL an application instance, and start a new one in its place;</li>
 * <li>{@link Fault#PARTITION_BLACKHOLE} / {@link Fault#PARTITION_DROP}: cut one instance off from
 * every etcd member, through its own {@link TcpProxy} per member, for longer than the TTL, while the
 * others keep working;</li>
 * <li>{@link Fault#COMPACT}: compact etcd's history while one instance's connections are down, so
 * that its watches resume from a compacted revision.</li>
 * </ul>
 * The instances also share a sharded workload of {@value #SHARDS} shards ({@link ShardWork}): no two
 * intervals of work on one shard overlap, writes with a revoked shard's token are rejected, and every
 * shard is owned, in fair shares, whenever the applications are back to normal.
 * Everything the children print is recorded with its receive time; every check is made at the end,
 * from that record and a final read of etcd, and a summary for the README is printed. Session TTL
 * {@value #TTL_SECONDS} s, safety margin 500 ms, request timeout 1 s; etcd's election timeout is
 * 500 ms (heartbeat 100 ms). Losing one member costs nothing only while etcd elects a new leader
 * before a session's deadline: that is {@code TTL - margin} after the last acknowledged keep-alive,
 * sent every {@code (TTL - margin) / 3}, so at least 3 s here. With a TTL of 3 s (at least 1.67 s)
 * a raft leader killed 0.75 s after a keep-alive cost two sessions in one run.
 * Child logs and the summary are in {@code target/chaos/seed-<seed>/}.
 */
class ChaosIT {

	private static final Log logger = LogFactory.getLog(ChaosIT.class);

	static final long TTL_SECONDS = 5;

	private static final Duration TTL = Duration.ofSeconds(TTL_SECONDS);

	private static final Duration STARTUP = Duration.ofSeconds(45);

	private static final Duration STEADY = Duration.ofSeconds(45);

	private static final int INSTANCES = 3;

	private static final long DEFAULT_SEED = 20261124L;

	private static final Duration CONFIG_SPACING = Duration.ofMillis(100);

	/**
	 * How long {@link Fault#PAUSE_MEMBER} stops a member: well under what a lease has left at the raft
	 * leader when it stops ({@code TTL} minus one keep-alive interval, 3.5 s here). A raft leader
	 * stopped for longer can revoke leases when it resumes, before it learns it was replaced
	 * (etcd#15247): the README lists "etcd expires a lease no earlier than its TTL" as an assumption,
	 * and a run on etcd 3.5.16 with a 5.1 s pause saw such a revocation let two leaders overlap for
	 * 16 ms. That fault is etcd's, not the starter's; this one tests a stopped member.
	 */
	private static final Duration MEMBER_PAUSE = Duration.ofSeconds(2);

	private static final int SHARDS = 8;

	private static final ShardWork shardWork = new ShardWork(ChaosChildApplication.SHARD_WORKLOAD, SHARDS,
			ChaosChildApplication.SHARD_PREFIX);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder()
		.members(3)
		.requireLaunched()
		.args("--heartbeat-interval=100", "--election-timeout=500")
		.build());

	private final List<ChildLine> record = new CopyOnWriteArrayList<>();

	private final List<FaultEntry> faults = new CopyOnWriteArrayList<>();

	private final List<ConfigWrite> configWrites = new CopyOnWriteArrayList<>();

	private final List<Window> windows = new ArrayList<>();

	private final List<Slot> slots = new ArrayList<>();

	private final List<ChildProcess> allChildren = new CopyOnWriteArrayList<>();

	private final Map<String, Long> endedAt = new LinkedHashMap<>();

	private final List<Client> memberClients = new ArrayList<>();

	private final Set<Integer> unavailableMembers = new HashSet<>();

	private Path logDirectory;

	private long t0;

	private Random random;

	@BeforeEach
	void startFromEmptyKeys() throws Exception {
		LeftoverKeys.remove(etcd.client(), "/elections/", "/locks/", "/services/", "/shards/");
		for (String prefix : List.of("/chaos/", "/config/")) {
			etcd.client()
				.getKVClient()
				.delete(EtcdKeys.bytes(prefix), DeleteOption.builder().isPrefix(true).build())
				.get(5, TimeUnit.SECONDS);
		}
		for (EtcdMember member : etcd.cluster().members()) {
			this.memberClients.add(Client.builder().endpoints(member.clientEndpoint()).build());
		}
	}

	@AfterEach
	void cleanUp() {
		this.allChildren.parallelStream().forEach(ChildProcess::destroy);
		this.slots.forEach((slot) -> slot.proxies.forEach(TcpProxy::close));
		this.memberClients.forEach(Client::close);
		etcd.cluster().restore(Duration.ofSeconds(20));
	}

	@Test
	void everyGuaranteeHoldsThroughASeededSequenceOfFaults() throws Exception {
		long seed = Long.getLong("chaos.seed", DEFAULT_SEED);
		this.random = new Random(seed);
		this.logDirectory = Path.of("target", "chaos", "seed-" + seed);
		// every fault twice: about two minutes on 2 cores
		List<Fault> sequence = new ArrayList<>(List.of(Fault.values()));
		sequence.addAll(List.of(Fault.values()));
		Collections.shuffle(sequence, this.random);
		logger.info("Chaos run, seed " + seed + " (-Dchaos.seed to change), faults in order: " + sequence
				+ "; child logs in " + this.logDirectory.toAbsolutePath());
		this.t0 = System.nanoTime();

		writeConfig();
		for (int number = 1; number <= INSTANCES; number++) {
			Slot slot = new Slot(number);
			this.slots.add(slot);
			start(slot);
		}
		long since = System.nanoTime();
		for (Fault fault : sequence) {
			awaitSteady(since);
			// every instance has the last change before the fault: at most one change happens while an
			// instance is cut off, so each change can be seen as an event of its own
			awaitConfigSeenByAll(writeConfig().value, Duration.ofSeconds(10));
			inject(fault);
			since = System.nanoTime();
		}
		awaitSteady(since);
		writeConfig();
		List<Slot> live = this.slots;
		Set<String> liveIds = live.stream().map((slot) -> slot.id).collect(Collectors.toCollection(TreeSet::new));
		// the end state, while the instances run: registrations, configuration, stale writes due
		Set<String> registered = await().atMost(Duration.ofSeconds(15))
			.pollInterval(Duration.ofMillis(100))
			.until(this::registeredIds, liveIds::equals);
		awaitConfigSeenByAll(lastConfigValue(), Duration.ofSeconds(15));
		await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(100)).until(this::staleWritesDone);
		await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(100))
			.until(() -> live.stream().allMatch((slot) -> ShardWork.staleWritesDone(slot.child)));
		// freeze the record: no write may land after etcd has been read
		long ended = System.nanoTime();
		live.forEach((slot) -> {
			slot.child.kill();
			this.endedAt.put(slot.id, ended);
		});
		long endRevision = headRevision();
		GetResponse counter = etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(ChaosChildApplication.COUNTER_KEY),
					GetOption.builder().withRevision(endRevision).build())
			.get(5, TimeUnit.SECONDS);
		GetResponse records = etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(ChaosChildApplication.RECORDS),
					GetOption.builder().isPrefix(true).withRevision(endRevision).build())
			.get(5, TimeUnit.SECONDS);
		List<ShardWork.Interval> shardRecords = shardWork.records(etcd.client(), endRevision);
		long duration = System.nanoTime() - this.t0;

		Leadership leadership = leadership();
		Summary summary = new Summary(seed, duration, leadership, counter, records, shardRecords);
		System.out.println(summary.text());
		// for the README: surefire redirects the test's output to target/surefire-reports
		Files.writeString(this.logDirectory.resolve("summary.txt"), summary.text());

		assertSingleLeader(leadership);
		assertStaleWritesRejected();
		assertCounter(counter, records);
		assertConfig(liveIds);
		assertThat(registered).as("instances registered at the end (the live ones are %s)", liveIds)
			.isEqualTo(liveIds);
		assertWindows(sequence);
		ShardWork.assertNoOverlap("intervals of shard work recorded by accepted fenced writes", shardRecords);
		ShardWork.assertNoOverlap("intervals of shard work the instances claimed", ShardWork.claims(this.record));
		ShardWork.assertFenced(shardRecords, this.record);
	}

	// ---------------------------------------------------------------- faults

	private void inject(Fault fault) throws Exception {
		switch (fault) {
			case MEMBER_LOSS_LEADER -> memberLoss(true);
			case MEMBER_LOSS_FOLLOWER -> memberLoss(false);
			case PAUSE_MEMBER -> pauseMember();
			case PAUSE_CLUSTER -> pauseCluster();
			case KILL_APP -> killApp();
			case PARTITION_BLACKHOLE -> partition(fault, TcpProxy.Mode.BLACKHOLE);
			case PARTITION_DROP -> partition(fault, TcpProxy.Mode.DROP);
			case COMPACT -> compact();
		}
	}

	/**
	 * Lose one etcd member (the raft leader with SIGKILL, or a follower with SIGTERM) for longer than
	 * the session TTL, with a configuration change meanwhile, and restart it.
	 */
	private void memberLoss(boolean leader) throws Exception {
		int raftLeader = raftLeader();
		int victim = leader ? raftLeader : otherThan(raftLeader);
		EtcdMember member = etcd.cluster().member(victim);
		FaultEntry entry = fault(leader ? Fault.MEMBER_LOSS_LEADER : Fault.MEMBER_LOSS_FOLLOWER,
				(leader ? "SIGKILL etcd raft leader " : "SIGTERM etcd follower ") + member.name());
		long from = System.nanoTime();
		this.unavailableMembers.add(victim);
		if (leader) {
			member.kill();
		}
		else {
			member.stop();
		}
		ConfigWrite change = writeConfig();
		// hold the member down for longer than a session lives without keep-alives
		scheduledDelay(TTL.plusSeconds(1));
		member.start();
		this.unavailableMembers.remove(victim);
		etcd.cluster().awaitHealthy(Duration.ofSeconds(20));
		awaitConfigSeenByAll(change.value, Duration.ofSeconds(10));
		long to = System.nanoTime();
		this.windows.add(new Window(entry.description, from, to, change.value,
				this.slots.stream().map((slot) -> slot.id).toList()));
		entry.end(to, "restarted");
	}

	private void pauseMember() throws Exception {
		int victim = this.random.nextInt(etcd.cluster().size());
		EtcdMember member = etcd.cluster().member(victim);
		boolean leader = victim == raftLeader();
		FaultEntry entry = fault(Fault.PAUSE_MEMBER, "SIGSTOP etcd " + member.name() + (leader ? " (raft leader)" : ""));
		this.unavailableMembers.add(victim);
		member.pause();
		long pausedAt = System.nanoTime();
		// resumed on time even while the write waits for a new raft leader (it took 2.1 s once, and a
		// pause of 3 s after it outlived the leases the stopped leader knew of)
		CompletableFuture<Long> resumed = CompletableFuture.supplyAsync(() -> {
			member.resume();
			return System.nanoTime();
		}, CompletableFuture.delayedExecutor(MEMBER_PAUSE.toNanos(), TimeUnit.NANOSECONDS));
		try {
			writeConfig();
		}
		finally {
			long resumedAt = resumed.join();
			this.unavailableMembers.remove(victim);
			entry.end(resumedAt, "resumed after " + TimeUnit.NANOSECONDS.toMillis(resumedAt - pausedAt) + " ms");
		}
		etcd.cluster().awaitHealthy(Duration.ofSeconds(20));
	}

	private void pauseCluster() {
		Duration pause = TTL.plusMillis(1500);
		FaultEntry entry = fault(Fault.PAUSE_CLUSTER, "SIGSTOP all etcd members for " + pause.toMillis() + " ms");
		for (EtcdMember member : etcd.cluster().members()) {
			member.pause();
		}
		scheduledDelay(pause);
		for (EtcdMember member : etcd.cluster().members()) {
			member.resume();
		}
		etcd.cluster().awaitHealthy(Duration.ofSeconds(20));
		entry.end(System.nanoTime(), "resumed");
	}

	private void killApp() throws Exception {
		Slot slot = victimSlot();
		String role = leads(slot) ? "leader" : "follower";
		FaultEntry entry = fault(Fault.KILL_APP, "SIGKILL " + slot.id + " (" + role + ")");
		long killedAt = System.nanoTime();
		slot.child.kill();
		this.endedAt.put(slot.id, killedAt);
		writeConfig();
		start(slot);
		entry.end(System.nanoTime(), "replaced by " + slot.id);
	}

	/**
	 * Cut one instance off from every etcd member for longer than the TTL, with a configuration
	 * change meanwhile, while the others keep working.
	 */
	private void partition(Fault fault, TcpProxy.Mode mode) throws Exception {
		Slot slot = victimSlot();
		String role = leads(slot) ? "leader" : "follower";
		Duration length = TTL.plusSeconds(2);
		FaultEntry entry = fault(fault, mode + " " + slot.id + " (" + role + ") for " + length.toMillis() + " ms");
		slot.proxies.forEach((proxy) -> proxy.mode(mode));
		long cut = System.nanoTime();
		// the others keep working meanwhile: increments and fenced writes go on without it
		await().atMost(length).pollInterval(Duration.ofMillis(50))
			.until(() -> this.record.stream().anyMatch((line) -> line.kind().equals("INC") && line.receivedNanos() > cut
					&& !line.child().equals(slot.id)));
		writeConfig();
		scheduledDelay(Duration.ofNanos(Math.max(0, length.toNanos() - (System.nanoTime() - cut))));
		slot.proxies.forEach(TcpProxy::pass);
		entry.end(System.nanoTime(), "healed");
	}

	/**
	 * Compact etcd's history while one instance's connections are down, with a configuration change
	 * before the compaction: the instance's watches resume from a compacted revision.
	 */
	private void compact() throws Exception {
		Slot slot = victimSlot();
		FaultEntry entry = fault(Fault.COMPACT, "compact history while " + slot.id + " is cut off (DROP 1 s)");
		slot.proxies.forEach(TcpProxy::drop);
		writeConfig();
		long revision = headRevision();
		etcd.client()
			.getKVClient()
			.compact(revision, CompactOption.builder().withCompactPhysical(true).build())
			.get(10, TimeUnit.SECONDS);
		scheduledDelay(Duration.ofSeconds(1));
		slot.proxies.forEach(TcpProxy::pass);
		entry.end(System.nanoTime(), "compacted at revision " + revision);
	}

	private FaultEntry fault(Fault kind, String description) {
		FaultEntry entry = new FaultEntry(kind, description, System.nanoTime());
		this.faults.add(entry);
		logger.info(String.format(Locale.ROOT, "[%s] fault %d: %s: %s", offset(entry.from), this.faults.size(), kind,
				description));
		return entry;
	}

	/**
	 * A pause between steps of a fault: the fault stays in place for that long.
	 */
	private static void scheduledDelay(Duration delay) {
		try {
			TimeUnit.NANOSECONDS.sleep(delay.toNanos());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private Slot victimSlot() {
		// the leader half of the time: its failover is what matters most
		if (this.random.nextBoolean()) {
			Optional<Slot> leader = this.slots.stream().filter(this::leads).findFirst();
			if (leader.isPresent()) {
				return leader.get();
			}
		}
		return this.slots.get(this.random.nextInt(this.slots.size()));
	}

	private int otherThan(int member) {
		int other = this.random.nextInt(etcd.cluster().size() - 1);
		return (other >= member) ? other + 1 : other;
	}

	private int raftLeader() {
		return RaftLeader.of(etcd.cluster(), etcd.client());
	}

	// ---------------------------------------------------------------- instances

	private void start(Slot slot) {
		slot.incarnation++;
		slot.id = "app-" + slot.number + "-" + slot.incarnation;
		slot.proxies.forEach(TcpProxy::pass);
		String endpoints = slot.proxies.stream().map((proxy) -> proxy.endpoint().toString())
			.collect(Collectors.joining(","));
		List<String> args = List.of("--spring.main.web-application-type=none", "--spring.main.banner-mode=off",
				"--spring.application.name=" + ChaosChildApplication.SERVICE, "--spring.config.import=etcd:",
				"--coordination.etcd.endpoints=" + endpoints, "--coordination.etcd.session.ttl=" + TTL_SECONDS + "s",
				"--coordination.etcd.session.safety-margin=500ms", "--coordination.etcd.request-timeout=1s",
				"--coordination.etcd.instance.id=" + slot.id, "--coordination.etcd.instance.host=127.0.0.1",
				"--coordination.etcd.instance.port=" + (18180 + slot.number),
				"--coordination.etcd.discovery.health.enabled=false",
				"--coordination.shards." + ChaosChildApplication.SHARD_WORKLOAD + ".count=" + SHARDS,
				"--coordination.shards." + ChaosChildApplication.SHARD_WORKLOAD + ".settle-delay=1s");
		ChildProcess child = ChildProcess.startJvm(slot.id, ChaosChildApplication.class, args, this.logDirectory,
				this::record);
		this.allChildren.add(child);
		slot.child = child;
		await().atMost(STARTUP).pollInterval(Duration.ofMillis(50))
			.until(() -> !child.lines("READY").isEmpty() || !child.isAlive());
		assertThat(child.isAlive()).as("%s is alive; its output: %s", child, child.output()).isTrue();
		assertThat(child.lines("READY").get(0).args()).as("READY line of %s", child).last().isEqualTo("registered");
		logger.info(String.format(Locale.ROOT, "[%s] %s ready (pid %d)", offset(System.nanoTime()), slot.id,
				child.pid()));
	}

	private void record(ChildLine line) {
		this.record.add(line);
		if (!Set.of("INC", "FENCED-OK", "WORK-OK").contains(line.kind())) {
			logger.info("[" + offset(line.receivedNanos()) + "] " + line);
		}
	}

	private boolean leads(Slot slot) {
		if (!slot.child.isAlive()) {
			return false;
		}
		List<ChildLine> changes = slot.child.lines()
			.stream()
			.filter((line) -> line.kind().equals("GRANTED") || line.kind().equals("REVOKED"))
			.toList();
		return !changes.isEmpty() && changes.get(changes.size() - 1).kind().equals("GRANTED");
	}

	/**
	 * Wait until the applications work normally again: exactly one leads and has written under its
	 * term, increments go on, every instance is registered and has the last configuration, and every
	 * shard is owned by the instances in fair shares.
	 */
	private void awaitSteady(long since) {
		await().atMost(STEADY).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
			List<Slot> leaders = this.slots.stream().filter(this::leads).toList();
			assertThat(leaders).as("instances that lead").hasSize(1);
			ChildProcess leader = leaders.get(0).child;
			long token = leader.last("GRANTED").orElseThrow().token();
			assertThat(leader.lines("FENCED-OK")).as("fenced writes of the leader's term")
				.anyMatch((line) -> line.token() == token);
			assertThat(this.record).as("increments since the last fault")
				.anyMatch((line) -> line.kind().equals("INC") && line.receivedNanos() > since);
			assertThat(registeredIds()).as("registered instances")
				.isEqualTo(this.slots.stream().map((slot) -> slot.id).collect(Collectors.toSet()));
			String value = lastConfigValue();
			assertThat(this.slots).allSatisfy((slot) -> assertThat(lastSeenConfig(slot.child))
				.as("configuration value %s sees", slot.id).isEqualTo(value));
			List<String> ids = this.slots.stream().map((slot) -> slot.id).toList();
			assertThat(shardWork.ownedBy(etcd.client(), ids)).as("every shard owned by %s in fair shares: %s", ids,
					shardWork.owners(etcd.client())).isTrue();
		});
	}

	private Set<String> registeredIds() throws Exception {
		return etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes("/services/" + ChaosChildApplication.SERVICE + "/"),
					GetOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS)
			.getKvs()
			.stream()
			.map((kv) -> {
				String key = EtcdKeys.string(kv.getKey());
				return key.substring(key.lastIndexOf('/') + 1);
			})
			.collect(Collectors.toCollection(TreeSet::new));
	}

	/**
	 * Whether every revocation of an instance that is still alive has had its stale write answered.
	 */
	private boolean staleWritesDone() {
		for (Slot slot : this.slots) {
			Set<Long> due = slot.child.lines("REVOKED").stream()
				.filter((line) -> !line.args().get(1).equals("SHUTDOWN"))
				.map(ChildLine::token)
				.collect(Collectors.toSet());
			Set<Long> answered = slot.child.lines().stream()
				.filter((line) -> line.kind().startsWith("STALE-"))
				.map(ChildLine::token)
				.collect(Collectors.toSet());
			if (!answered.containsAll(due)) {
				return false;
			}
		}
		return true;
	}

	// ---------------------------------------------------------------- configuration

	/**
	 * Put the next configuration value, through a member that is up.
	 */
	private ConfigWrite writeConfig() throws Exception {
		int value = this.configWrites.size();
		if (value > 0) {
			// more than the starter's watch.delay (20 ms) apart: changes closer than that are applied together
			long since = System.nanoTime() - this.configWrites.get(value - 1).nanos;
			scheduledDelay(Duration.ofNanos(Math.max(0, CONFIG_SPACING.toNanos() - since)));
		}
		String text = Integer.toString(value);
		ByteSequence key = EtcdKeys.bytes(ChaosChildApplication.CONFIG_KEY);
		// guarded by the key's last write: an attempt that timed out and is applied later, after the
		// write that followed it, changes nothing (a plain put would bring an older value back)
		long previous = this.configWrites.isEmpty() ? 0 : this.configWrites.get(value - 1).revision;
		Exception failure = null;
		for (int attempt = 0; attempt < 3; attempt++) {
			for (int index = 0; index < this.memberClients.size(); index++) {
				if (this.unavailableMembers.contains(index)) {
					continue;
				}
				try {
					TxnResponse response = this.memberClients.get(index)
						.getKVClient()
						.txn()
						.If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(previous)))
						.Then(Op.put(key, EtcdKeys.bytes(text), PutOption.DEFAULT))
						.Else(Op.get(key, GetOption.DEFAULT))
						.commit()
						.get(2, TimeUnit.SECONDS);
					long revision;
					if (response.isSucceeded()) {
						revision = response.getHeader().getRevision();
					}
					else {
						// an earlier attempt of this write was applied after all
						KeyValue current = response.getGetResponses().get(0).getKvs().get(0);
						assertThat(EtcdKeys.string(current.getValue())).as("configuration value in etcd").isEqualTo(text);
						revision = current.getModRevision();
					}
					ConfigWrite write = new ConfigWrite(text, revision, System.nanoTime());
					this.configWrites.add(write);
					logger.info(String.format(Locale.ROOT, "[%s] config %s=%s at revision %d", offset(write.nanos),
							ChaosChildApplication.CONFIG_PROPERTY, write.value, revision));
					return write;
				}
				catch (Exception ex) {
					logger.info("Configuration write through " + etcd.cluster().member(index).name() + " failed: " + ex);
					failure = ex;
				}
			}
		}
		throw new IllegalStateException("Cannot write configuration value " + value, failure);
	}

	private String lastConfigValue() {
		return this.configWrites.get(this.configWrites.size() - 1).value;
	}

	/**
	 * The configuration value a child has now: its last {@code CONFIG} event, or the value it started
	 * with when its start-up read was more recent.
	 */
	private static String lastSeenConfig(ChildProcess child) {
		String value = null;
		for (ChildLine line : child.lines()) {
			if (line.kind().equals("CONFIG")) {
				value = line.args().get(0);
			}
			else if (line.kind().equals("READY") && (value == null
					|| Integer.parseInt(line.args().get(2)) > Integer.parseInt(value))) {
				value = line.args().get(2);
			}
		}
		return value;
	}

	/**
	 * Each configuration change with each instance that ran from before it until at least 5 s after
	 * it, and whether the instance received it as a change event.
	 */
	private List<ConfigPair> configPairs() {
		List<ConfigPair> pairs = new ArrayList<>();
		for (ConfigWrite write : this.configWrites) {
			for (ChildProcess child : this.allChildren) {
				long ended = this.endedAt.getOrDefault(child.name(), Long.MAX_VALUE);
				Optional<ChildLine> ready = child.lines("READY").stream().findFirst();
				if (ready.isEmpty() || write.nanos < ready.get().receivedNanos()
						|| Integer.parseInt(ready.get().args().get(2)) >= Integer.parseInt(write.value)
						|| ended - write.nanos < TimeUnit.SECONDS.toNanos(5)) {
					continue;
				}
				boolean seen = child.lines("CONFIG").stream().anyMatch((line) -> line.args().get(0).equals(write.value));
				pairs.add(new ConfigPair(write.value, child.name(), seen));
			}
		}
		return pairs;
	}

	private void awaitConfigSeenByAll(String value, Duration atMost) {
		await().atMost(atMost).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> assertThat(this.slots)
			.allSatisfy((slot) -> assertThat(lastSeenConfig(slot.child)).as("configuration value %s sees", slot.id)
				.isEqualTo(value)));
	}

	// ---------------------------------------------------------------- checks

	/**
	 * Terms of leadership from the record: when each was granted and the last instant its holder
	 * checked (against its session's local deadline) that it still led.
	 */
	private Leadership leadership() {
		Map<Long, Term> terms = new TreeMap<>();
		for (ChildLine line : this.record) {
			switch (line.kind()) {
				case "GRANTED" -> terms.computeIfAbsent(line.token(), (token) -> new Term(token, line.child()))
					.claim(line.nanos());
				case "FENCED-OK", "FENCED-REJECTED" -> {
					long claim = Long.parseLong(line.args().get(line.kind().equals("FENCED-OK") ? 3 : 2));
					if (claim != 0) {
						terms.computeIfAbsent(line.token(), (token) -> new Term(token, line.child())).claim(claim);
					}
				}
				default -> {
				}
			}
		}
		return new Leadership(List.copyOf(terms.values()));
	}

	/**
	 * Never two leaders at once: each term, from its grant to the last instant its holder found it
	 * still held, ends before the next term is granted. The gap is at least the safety margin when
	 * the old leader did not leave on its own: the successor can only be granted once etcd expired
	 * the old lease ({@code sent + TTL}), while the old leader stops at {@code sent + TTL - margin}.
	 */
	private void assertSingleLeader(Leadership leadership) {
		List<Term> terms = leadership.terms;
		assertThat(terms).as("terms of leadership").isNotEmpty();
		for (int index = 1; index < terms.size(); index++) {
			Term previous = terms.get(index - 1);
			Term next = terms.get(index);
			assertThat(next.start)
				.as("grant of term %d (%s at %s) after the last leadership of term %d (%s at %s)", next.token,
						next.child, offset(next.start), previous.token, previous.child, offset(previous.end))
				.isGreaterThan(previous.end);
		}
	}

	/**
	 * Every fenced write from a stale term is rejected: the deliberate writes after each revocation,
	 * and no accepted write with an older token than one accepted before it.
	 */
	private void assertStaleWritesRejected() {
		assertThat(lines("STALE-OK")).as("stale writes etcd accepted").isEmpty();
		assertThat(lines("STALE-UNKNOWN")).as("stale writes without an answer").isEmpty();
		assertThat(lines("STALE-REJECTED")).as("stale writes rejected").isNotEmpty();
		List<ChildLine> accepted = lines("FENCED-OK").stream().sorted(Comparator.comparingLong(ChildLine::revision))
			.toList();
		assertThat(accepted).isNotEmpty();
		long highest = 0;
		for (ChildLine line : accepted) {
			assertThat(line.token()).as("token of the fenced write at revision %d by %s", line.revision(), line.child())
				.isGreaterThanOrEqualTo(highest);
			highest = line.token();
		}
	}

	/**
	 * The counter equals the number of increments applied, each new value written exactly once.
	 */
	private void assertCounter(GetResponse counter, GetResponse records) {
		long value = counter.getKvs().isEmpty() ? 0 : Long.parseLong(EtcdKeys.string(counter.getKvs().get(0).getValue()));
		Map<Long, List<String>> byValue = new TreeMap<>();
		for (KeyValue record : records.getKvs()) {
			String[] valueAndToken = EtcdKeys.string(record.getValue()).split(" ");
			byValue.computeIfAbsent(Long.parseLong(valueAndToken[0]), (key) -> new ArrayList<>())
				.add(EtcdKeys.string(record.getKey()) + " token " + valueAndToken[1]);
		}
		assertThat(byValue.entrySet()).as("counter values written more than once")
			.filteredOn((entry) -> entry.getValue().size() > 1)
			.isEmpty();
		assertThat(records.getKvs()).as("increments applied").hasSize((int) value);
		assertThat(byValue.keySet()).as("values the increments wrote").containsExactlyElementsOf(
				java.util.stream.LongStream.rangeClosed(1, value).boxed().toList());
		List<ChildLine> increments = lines("INC");
		assertThat(increments).as("successful increments").isNotEmpty();
		assertThat(increments).extracting((line) -> Long.parseLong(line.args().get(1)))
			.as("values of the successful increments")
			.doesNotHaveDuplicates()
			.allMatch(byValue::containsKey);
	}

	/**
	 * Every change reached every instance in order, the live ones have the last value, and nothing
	 * was applied twice.
	 */
	private void assertConfig(Set<String> liveIds) {
		for (ChildProcess child : this.allChildren) {
			List<Integer> seen = child.lines("CONFIG").stream().map((line) -> Integer.parseInt(line.args().get(0)))
				.toList();
			assertThat(seen).as("configuration values %s saw, in order", child.name()).isSorted().doesNotHaveDuplicates();
		}
		List<ConfigPair> missed = configPairs().stream().filter((pair) -> !pair.seen).toList();
		assertThat(missed).as("changes an instance running at the time did not see as an event of its own").isEmpty();
		String last = lastConfigValue();
		for (Slot slot : this.slots) {
			assertThat(lastSeenConfig(slot.child)).as("configuration value of %s at the end", slot.id).isEqualTo(last);
		}
		assertThat(liveIds).hasSize(INSTANCES);
	}

	/**
	 * Losing one etcd member changed nothing for the applications.
	 */
	private void assertWindows(List<Fault> sequence) {
		assertThat(this.windows).as("windows with one etcd member lost")
			.hasSize((int) sequence.stream()
				.filter((fault) -> fault == Fault.MEMBER_LOSS_LEADER || fault == Fault.MEMBER_LOSS_FOLLOWER)
				.count());
		for (Window window : this.windows) {
			List<ChildLine> changes = this.record.stream()
				.filter((line) -> line.receivedNanos() >= window.from && line.receivedNanos() <= window.to)
				.filter((line) -> Set.of("GRANTED", "REVOKED", "LOCK-LOST", "SESSION-LOST", "INC-LOST", "INC-REJECTED",
						"FENCED-REJECTED", "SHARD-REVOKED", "WORK-REJECTED", "WORK-LOST").contains(line.kind()))
				.toList();
			assertThat(changes).as("leadership, lock, shard and session changes while %s", window.description)
				.isEmpty();
			assertThat(window.instances).as("instances that saw configuration value %s as an event, while %s",
					window.configValue, window.description)
				.allSatisfy((id) -> assertThat(this.record).anyMatch((line) -> line.child().equals(id)
						&& line.kind().equals("CONFIG") && line.args().get(0).equals(window.configValue)
						&& line.receivedNanos() >= window.from && line.receivedNanos() <= window.to));
			assertThat(this.record).as("increments while %s", window.description)
				.anyMatch((line) -> line.kind().equals("INC") && line.receivedNanos() >= window.from
						&& line.receivedNanos() <= window.to);
			assertThat(this.record).as("fenced writes of the leader while %s", window.description)
				.anyMatch((line) -> line.kind().equals("FENCED-OK") && line.receivedNanos() >= window.from
						&& line.receivedNanos() <= window.to);
		}
	}

	private List<ChildLine> lines(String kind) {
		return this.record.stream().filter((line) -> line.kind().equals(kind)).toList();
	}

	private long headRevision() throws Exception {
		return etcd.client().getKVClient().get(EtcdKeys.bytes("/")).get(5, TimeUnit.SECONDS).getHeader().getRevision();
	}

	private String offset(long nanos) {
		return String.format(Locale.ROOT, "+%6.2f s", (nanos - this.t0) / 1e9);
	}

	// ---------------------------------------------------------------- records

	enum Fault {

		/**
		 * SIGKILL the etcd raft leader for longer than the TTL, then restart it: nothing may change.
		 */
		MEMBER_LOSS_LEADER,

		/**
		 * SIGTERM an etcd follower for longer than the TTL, then restart it: nothing may change.
		 */
		MEMBER_LOSS_FOLLOWER,

		/**
		 * SIGSTOP one etcd member for {@link ChaosIT#MEMBER_PAUSE}.
		 */
		PAUSE_MEMBER,

		/**
		 * SIGSTOP every etcd member for longer than the TTL.
		 */
		PAUSE_CLUSTER,

		/**
		 * SIGKILL an application instance and start a new one.
		 */
		KILL_APP,

		/**
		 * Blackhole one instance's connections to etcd for longer than the TTL.
		 */
		PARTITION_BLACKHOLE,

		/**
		 * Drop one instance's connections to etcd for longer than the TTL.
		 */
		PARTITION_DROP,

		/**
		 * Compact etcd's history while one instance is cut off.
		 */
		COMPACT

	}

	/**
	 * One application instance: its proxies, one per etcd member, and its current incarnation.
	 */
	private static final class Slot {

		private final int number;

		private final List<TcpProxy> proxies = new ArrayList<>();

		private int incarnation;

		private String id;

		private ChildProcess child;

		Slot(int number) {
			this.number = number;
			for (EtcdMember member : etcd.cluster().members()) {
				this.proxies.add(TcpProxy.start(member.clientEndpoint()));
			}
		}

	}

	private static final class FaultEntry {

		private final Fault kind;

		private final String description;

		private final long from;

		private long to;

		private String outcome = "";

		FaultEntry(Fault kind, String description, long from) {
			this.kind = kind;
			this.description = description;
			this.from = from;
		}

		void end(long to, String outcome) {
			this.to = to;
			this.outcome = outcome;
		}

	}

	private record ConfigWrite(String value, long revision, long nanos) {
	}

	private record ConfigPair(String value, String instance, boolean seen) {
	}

	private record Window(String description, long from, long to, String configValue, List<String> instances) {
	}

	private static final class Term {

		private final long token;

		private final String child;

		private long start = Long.MAX_VALUE;

		private long end = Long.MIN_VALUE;

		Term(long token, String child) {
			this.token = token;
			this.child = child;
		}

		void claim(long nanos) {
			this.start = Math.min(this.start, nanos);
			this.end = Math.max(this.end, nanos);
		}

	}

	private record Leadership(List<Term> terms) {

		/**
		 * The longest time without any leader, with the term that ended it.
		 */
		Optional<Map.Entry<Long, Term>> longestGap() {
			Map.Entry<Long, Term> longest = null;
			for (int index = 1; index < this.terms.size(); index++) {
				long gap = this.terms.get(index).start - this.terms.get(index - 1).end;
				if (longest == null || gap > longest.getKey()) {
					longest = Map.entry(gap, this.terms.get(index));
				}
			}
			return Optional.ofNullable(longest);
		}

		long shortestGap() {
			long shortest = Long.MAX_VALUE;
			for (int index = 1; index < this.terms.size(); index++) {
				shortest = Math.min(shortest, this.terms.get(index).start - this.terms.get(index - 1).end);
			}
			return shortest;
		}

	}

	/**
	 * What the run did, for the log and the README.
	 */
	private final class Summary {

		private final String text;

		Summary(long seed, long duration, Leadership leadership, GetResponse counter, GetResponse records,
				List<ShardWork.Interval> shardRecords) {
			StringBuilder out = new StringBuilder();
			out.append(String.format(Locale.ROOT, "Chaos summary (seed %d, %d s, 3 etcd members, %d instances, TTL %d s)%n",
					seed, TimeUnit.NANOSECONDS.toSeconds(duration), INSTANCES, TTL_SECONDS));
			out.append(String.format(Locale.ROOT, "  etcd: %s%n", etcd.cluster().description()));
			Map<Fault, Long> byKind = ChaosIT.this.faults.stream()
				.collect(Collectors.groupingBy((entry) -> entry.kind, TreeMap::new, Collectors.counting()));
			out.append(String.format(Locale.ROOT, "  faults injected: %d %s%n", ChaosIT.this.faults.size(), byKind));
			for (FaultEntry entry : ChaosIT.this.faults) {
				out.append(String.format(Locale.ROOT, "    [%s .. %s] %-20s %s: %s%n", offset(entry.from),
						offset(entry.to), entry.kind, entry.description, entry.outcome));
			}
			long value = counter.getKvs().isEmpty() ? 0
					: Long.parseLong(EtcdKeys.string(counter.getKvs().get(0).getValue()));
			int incs = lines("INC").size();
			int failed = lines("INC-FAILED").size();
			out.append(String.format(Locale.ROOT,
					"  leadership: %d terms, %d transitions, %d fenced writes accepted, %d rejected, %d failed; "
							+ "%d stale-term writes rejected%n",
					leadership.terms.size(), lines("GRANTED").size() + lines("REVOKED").size(), lines("FENCED-OK").size(),
					lines("FENCED-REJECTED").size(), lines("FENCED-FAILED").size(), lines("STALE-REJECTED").size()));
			out.append(String.format(Locale.ROOT,
					"  lock: %d successful increments, %d rejected, %d indeterminate (%d of them applied), "
							+ "counter %d, %d records; %d holds lost%n",
					incs, lines("INC-REJECTED").size(), failed, records.getKvs().size() - incs, value,
					records.getKvs().size(), lines("LOCK-LOST").size()));
			List<ConfigPair> pairs = configPairs();
			out.append(String.format(Locale.ROOT,
					"  config: %d changes made, %d change events received; %d of %d (change, running instance) pairs "
							+ "seen as an event of their own%n",
					ChaosIT.this.configWrites.size(), lines("CONFIG").size(),
					pairs.stream().filter(ConfigPair::seen).count(), pairs.size()));
			out.append(String.format(Locale.ROOT, "  %s%n", ShardWork.summary(shardRecords, ChaosIT.this.record)));
			out.append(String.format(Locale.ROOT, "  sessions lost: %d; instances started: %d%n",
					lines("SESSION-LOST").size(), ChaosIT.this.allChildren.size()));
			Optional<Map.Entry<Long, Term>> longest = leadership.longestGap();
			out.append(String.format(Locale.ROOT,
					"  maximum failover (no leader): %d ms, before term %s; shortest gap between terms: %d ms%n",
					longest.map((gap) -> TimeUnit.NANOSECONDS.toMillis(gap.getKey())).orElse(0L),
					longest.map((gap) -> gap.getValue().token + " of " + gap.getValue().child + " at "
							+ offset(gap.getValue().start)).orElse("-"),
					TimeUnit.NANOSECONDS.toMillis(leadership.shortestGap() == Long.MAX_VALUE ? 0 : leadership.shortestGap())));
			this.text = out.toString();
		}

		String text() {
			return this.text;
		}

	}

}
