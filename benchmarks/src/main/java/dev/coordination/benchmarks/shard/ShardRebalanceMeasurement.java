package dev.coordination.benchmarks.shard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.coordination.benchmarks.LatencyRows;
import dev.coordination.benchmarks.Measurements;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.InstanceIdentity;
import dev.coordination.session.internal.SessionMetrics;
import dev.coordination.shard.ShardListener;
import dev.coordination.shard.ShardsAssignedEvent;
import dev.coordination.shard.ShardsRevokedEvent;
import dev.coordination.shard.internal.EtcdShardedWorkload;
import dev.coordination.shard.internal.ShardMetrics;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;

/**
 * Measures rebalances of a sharded workload: how long a membership change takes until every shard
 * is owned by a live instance and every instance owns {@code floor(N/k)} or {@code ceil(N/k)}
 * shards, and how many shards moved, against the fewest moves any assignment could make.
 * <p>
 * Starts its own etcd. The instances run in this JVM, each with its own jetcd client,
 * {@link EtcdSession} and {@link EtcdShardedWorkload} (weight 1, settle delay 0, so the figures are
 * the protocol's own and not the delay a deployment adds on purpose). The time runs from the change
 * until the instances' {@link ShardListener}s have heard a balanced, complete assignment: they are
 * told of a taken shard after its owner key was created, and of a given-up one before its key is
 * deleted. Moves are the shards of every {@code assigned} event in between. After each change the
 * owner keys in etcd are compared with what the listeners heard.
 * <p>
 * For each shard count, each run:
 * <ul>
 * <li>{@code join k-1->k}: instances join one at a time, 1 to {@code --instances}; from
 * {@link EtcdShardedWorkload#start()} of an instance whose session already holds its lease;</li>
 * <li>{@code leave k->k-1}: then the newest instance leaves gracefully, down to 1; from
 * {@link EtcdShardedWorkload#stop()}, followed by the session's stop and the client's close, as an
 * application context closes;</li>
 * <li>{@code loss k->k-1}: with {@code --loss-at} instances again, one (not the oldest) loses its
 * connection without stopping anything: its jetcd client is closed, as a SIGKILL would leave it, so
 * its shards wait for etcd to expire its lease (the session TTL).</li>
 * </ul>
 * The fewest moves of a change: every shard of an instance that left, plus, over the instances that
 * stay, the least excess over a balanced target (the largest owners get the {@code N mod k} larger
 * quotas). Prints, per change, the times' min, median, 99th percentile and max, and the moves'
 * median and max, and writes them to {@code shard-rebalance-results.txt} next to the jar.
 * <p>
 * Arguments: {@code --runs=5}, {@code --warmup=1} (uncounted runs at the first count),
 * {@code --counts=64,1024}, {@code --instances=8}, {@code --loss-at=4}, {@code --ttl=5} (session TTL
 * in seconds), {@code --margin=1000} (safety margin in milliseconds).
 */
public final class ShardRebalanceMeasurement {

	private static final String PREFIX = "/shards";

	private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

	private static final Duration SETTLE_DELAY = Duration.ZERO;

	private static final Duration WATCH_PROGRESS = Duration.ofSeconds(5);

	private final EtcdCluster etcd;

	private final Client client;

	private final Settings settings;

	// closes the instances that lost their connection, off the clock
	private final ExecutorService cleanup = Executors.newCachedThreadPool((task) -> {
		Thread thread = new Thread(task, "shard-bench-cleanup");
		thread.setDaemon(true);
		return thread;
	});

	private int lateMoves;

	private ShardRebalanceMeasurement(EtcdCluster etcd, Client client, Settings settings) {
		this.etcd = etcd;
		this.client = client;
		this.settings = settings;
	}

	public static void main(String[] args) {
		Measurements.run(args, (arguments) -> run(Settings.parse(arguments)));
	}

	private static void run(Settings settings) throws Exception {
		Path target = Measurements.targetDirectory(ShardRebalanceMeasurement.class);
		String loadBefore = loadAverage();
		long began = System.nanoTime();
		try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build());
				Client client = etcd.newClient()) {
			System.out.println("Measuring shard rebalances against " + etcd.description() + " at "
					+ etcd.endpointsAsString() + ": " + settings);
			ShardRebalanceMeasurement measurement = new ShardRebalanceMeasurement(etcd, client, settings);
			List<Row> rows = new ArrayList<>();
			try {
				for (int run = 1; run <= settings.warmup(); run++) {
					measurement.round(settings.counts().get(0), "w" + run, new LinkedHashMap<>());
				}
				for (int count : settings.counts()) {
					Map<String, Row> byChange = new LinkedHashMap<>();
					for (int run = 1; run <= settings.runs(); run++) {
						measurement.round(count, "r" + run, byChange);
					}
					rows.addAll(byChange.values());
				}
			}
			finally {
				measurement.cleanup.shutdown();
				measurement.cleanup.awaitTermination(30, TimeUnit.SECONDS);
			}
			Duration took = Duration.ofNanos(System.nanoTime() - began);
			String report = report(etcd, settings, rows, measurement.lateMoves, loadBefore, loadAverage(), took);
			Path file = target.resolve("shard-rebalance-results.txt");
			Files.writeString(file, report);
			System.out.println();
			System.out.print(report);
			System.out.println("Written to " + file.toAbsolutePath().normalize());
		}
	}

	/**
	 * One run at one shard count: joins up to the most instances, graceful leaves down to one, then
	 * a loss; every instance closed at the end.
	 */
	private void round(int count, String tag, Map<String, Row> rows) throws Exception {
		String workload = "n" + count;
		awaitEmpty(workload);
		Tracker tracker = new Tracker(count);
		List<Instance> members = new ArrayList<>();
		int[] started = { 0 };
		Supplier<Instance> next = () -> Instance.create(this.etcd, workload, count, workload + "-" + tag + "-i"
				+ (++started[0]), this.settings, tracker);
		try {
			for (int k = 1; k <= this.settings.instances(); k++) {
				Instance joining = next.get();
				Change change = tracker.measure(joining::join, members(members, joining), Set.of());
				members.add(joining);
				record(rows, count, "join " + (k - 1) + "->" + k, change, tag);
				verify(workload, tracker, members);
			}
			for (int k = this.settings.instances(); k >= 2; k--) {
				Instance leaving = members.remove(members.size() - 1);
				Change change = tracker.measure(leaving::leave, members(members), Set.of(leaving.id));
				record(rows, count, "leave " + k + "->" + (k - 1), change, tag);
				verify(workload, tracker, members);
			}
			while (members.size() < this.settings.lossAt()) {
				Instance joining = next.get();
				tracker.measure(joining::join, members(members, joining), Set.of());
				members.add(joining);
			}
			Instance lost = members.remove(1);
			Change change = tracker.measure(lost::disconnect, members(members), Set.of(lost.id));
			record(rows, count, "loss " + (members.size() + 1) + "->" + members.size(), change, tag);
			verify(workload, tracker, members);
			this.cleanup.execute(lost::closeDisconnected);
		}
		finally {
			this.lateMoves += tracker.lateMoves();
			// all at once, as a fleet shutting down: nothing is measured any more
			List<Thread> closing = new ArrayList<>();
			for (Instance member : members) {
				Thread thread = new Thread(member::leave, "shard-bench-close-" + member.id);
				thread.start();
				closing.add(thread);
			}
			for (Thread thread : closing) {
				thread.join(TimeUnit.SECONDS.toMillis(30));
			}
		}
	}

	private static Set<String> members(List<Instance> members, Instance... joining) {
		Set<String> ids = new HashSet<>();
		members.forEach((member) -> ids.add(member.id));
		Arrays.stream(joining).forEach((member) -> ids.add(member.id));
		return ids;
	}

	private static void record(Map<String, Row> rows, int count, String label, Change change, String tag) {
		rows.computeIfAbsent(label, (key) -> new Row(count, label)).add(change);
		System.out.printf(Locale.ROOT, "N=%d %s %s: %.1f ms, %d moved (fewest %d)%n", count, tag, label,
				change.nanos() / 1e6, change.moved(), change.fewest());
	}

	/**
	 * Compare the owner keys in etcd with what the listeners heard, until they agree (bounded: a
	 * listener may still be running when the change was complete).
	 */
	private void verify(String workload, Tracker tracker, List<Instance> members) throws Exception {
		String owners = PREFIX + "/" + workload + "/owners/";
		long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
		while (true) {
			Map<String, Set<Integer>> inEtcd = new HashMap<>();
			for (KeyValue kv : this.client.getKVClient()
				.get(EtcdKeys.bytes(owners), GetOption.builder().isPrefix(true).build())
				.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
				.getKvs()) {
				int shard = Integer.parseInt(EtcdKeys.string(kv.getKey()).substring(owners.length()));
				inEtcd.computeIfAbsent(EtcdKeys.string(kv.getValue()), (id) -> new TreeSet<>()).add(shard);
			}
			Map<String, Set<Integer>> heard = tracker.owned(members);
			if (inEtcd.equals(heard)) {
				return;
			}
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("The owner keys of workload '" + workload + "' in etcd " + inEtcd
						+ " differ from what the listeners heard " + heard);
			}
			TimeUnit.MILLISECONDS.sleep(20);
		}
	}

	/**
	 * Wait until no key of the workload is left from an earlier run (an expired lease's keys go
	 * within a second of the TTL).
	 */
	private void awaitEmpty(String workload) throws Exception {
		String prefix = PREFIX + "/" + workload + "/";
		long deadline = System.nanoTime()
			+ Duration.ofSeconds(this.settings.ttlSeconds() + 10).toNanos();
		while (this.client.getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())
			.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
			.getCount() > 0) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("Keys under " + prefix + " are left from an earlier run");
			}
			TimeUnit.MILLISECONDS.sleep(50);
		}
	}

	private static String loadAverage() {
		try {
			String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
			return String.join(" ", Arrays.asList(fields).subList(0, 3));
		}
		catch (IOException | RuntimeException ex) {
			return "unknown";
		}
	}

	private static String report(EtcdCluster etcd, Settings settings, List<Row> rows, int lateMoves,
			String loadBefore, String loadAfter, Duration took) {
		StringBuilder report = new StringBuilder();
		report.append(String.format(Locale.ROOT, "%s, %d cores, Java %s, load average %s before, %s after (1, 5, 15 min)"
				+ ", %d s in all%n%s%n",
				ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
				Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadBefore, loadAfter,
				took.toSeconds(), etcd.description()));
		report.append(String.format(Locale.ROOT, "In-JVM instances, each its own jetcd client, session and workload: "
				+ "weight 1, settle delay %d ms, session TTL %d s, safety margin %d ms, request timeout %d s; "
				+ "%d runs after %d warm-up run(s)%n",
				SETTLE_DELAY.toMillis(), settings.ttlSeconds(), settings.marginMillis(), REQUEST_TIMEOUT.toSeconds(),
				settings.runs(), settings.warmup()));
		report.append(String.format(Locale.ROOT, "Time: from the change until every shard is owned by a live instance "
				+ "and each owns floor(N/k) or ceil(N/k). Moved: shards taken meanwhile. Fewest: every shard of the "
				+ "instance that left, plus the least excess over a balanced target. Shards taken after a change "
				+ "was complete: %d%n%n", lateMoves));
		int width = rows.stream().mapToInt((row) -> row.label().length() + 7).max().orElse(20);
		report.append(LatencyRows.header(width, "change", "runs").stripTrailing())
			.append(String.format(Locale.ROOT, " %7s %7s %7s %7s%n", "moved", "max", "fewest", "over"));
		int last = -1;
		for (Row row : rows) {
			if (last != -1 && last != row.count()) {
				report.append('\n');
			}
			last = row.count();
			report.append(row.format(width));
		}
		report.append(String.format(Locale.ROOT, "%nmoved: median of the runs; max: most in one run; fewest: median "
				+ "of the runs; over: most moves above the fewest in one run%n"));
		return report.toString();
	}

	/**
	 * What the instances' listeners heard, and the one change being measured. Listeners are called
	 * on each workload's thread; everything here is guarded by the tracker.
	 */
	private static final class Tracker {

		private final int count;

		private final Map<String, Set<Integer>> owned = new HashMap<>();

		private final Map<String, EtcdShardedWorkload> workloads = new HashMap<>();

		private Set<String> live = Set.of();

		private long started;

		private long done;

		private int moved;

		private int late;

		private String overlap;

		Tracker(int count) {
			this.count = count;
		}

		synchronized ShardListener listener(String id, EtcdShardedWorkload workload) {
			this.workloads.put(id, workload);
			this.owned.put(id, new TreeSet<>());
			return new ShardListener() {

				@Override
				public void assigned(ShardsAssignedEvent event) {
					taken(id, event.getShards());
				}

				@Override
				public void revoked(ShardsRevokedEvent event) {
					givenUp(id, event.getShards());
				}

			};
		}

		private synchronized void taken(String id, Set<Integer> shards) {
			for (int shard : shards) {
				this.owned.forEach((other, theirs) -> {
					// listeners may hear of a loss, or of a take, after it: ask both instances
					if (!other.equals(id) && theirs.contains(shard) && this.workloads.get(other).isOwner(shard)
							&& this.workloads.get(id).isOwner(shard)) {
						this.overlap = "shard " + shard + " owned by " + other + " and " + id;
						notifyAll();
					}
				});
			}
			this.owned.get(id).addAll(shards);
			if (this.done != 0 || this.started == 0) {
				this.late += shards.size();
			}
			else {
				this.moved += shards.size();
			}
			check();
		}

		private synchronized void givenUp(String id, Set<Integer> shards) {
			this.owned.get(id).removeAll(shards);
			check();
		}

		private void check() {
			if (this.started == 0 || this.done != 0) {
				return;
			}
			int floor = this.count / this.live.size();
			int ceil = floor + ((this.count % this.live.size() != 0) ? 1 : 0);
			int total = 0;
			for (String id : this.live) {
				int size = this.owned.get(id).size();
				if (size < floor || size > ceil) {
					return;
				}
				total += size;
			}
			if (total == this.count) {
				this.done = System.nanoTime();
				notifyAll();
			}
		}

		/**
		 * Make a change and wait until it is complete.
		 * @param change what changes the membership
		 * @param after the live instances after it
		 * @param leaving the instances that leave
		 * @return how long it took and what it moved
		 */
		Change measure(Runnable change, Set<String> after, Set<String> leaving) throws InterruptedException {
			int fewest;
			synchronized (this) {
				this.live = Set.copyOf(after);
				fewest = fewest(leaving);
				this.moved = 0;
				this.done = 0;
				this.started = System.nanoTime();
			}
			change.run();
			Duration timeout = Duration.ofSeconds(30);
			synchronized (this) {
				long deadline = this.started + timeout.toNanos();
				while (this.done == 0 || this.overlap != null) {
					if (this.overlap != null) {
						throw new IllegalStateException("Two instances owned a shard at once: " + this.overlap);
					}
					long left = deadline - System.nanoTime();
					if (left <= 0) {
						throw new IllegalStateException("Not balanced within " + timeout + " over " + this.live
								+ ": listeners heard " + sizes() + "; the instances' views: " + views());
					}
					TimeUnit.NANOSECONDS.timedWait(this, left);
				}
				Change measured = new Change(this.done - this.started, this.moved, fewest);
				this.started = 0;
				return measured;
			}
		}

		/**
		 * The fewest moves from what is owned now to a balanced assignment over the live instances.
		 */
		private int fewest(Set<String> leaving) {
			// shards without an owner, and those of the instances that leave, must be taken
			int moves = this.count - this.owned.values().stream().mapToInt(Set::size).sum();
			for (String id : leaving) {
				moves += this.owned.get(id).size();
			}
			List<Integer> staying = this.live.stream()
				.map((id) -> this.owned.get(id).size())
				.sorted(Comparator.reverseOrder())
				.toList();
			int floor = this.count / staying.size();
			int larger = this.count % staying.size();
			for (int i = 0; i < staying.size(); i++) {
				int quota = floor + ((i < larger) ? 1 : 0);
				moves += Math.max(0, staying.get(i) - quota);
			}
			return moves;
		}

		synchronized Map<String, Set<Integer>> owned(List<Instance> members) {
			Map<String, Set<Integer>> owned = new HashMap<>();
			for (Instance member : members) {
				Set<Integer> shards = this.owned.get(member.id);
				if (!shards.isEmpty()) {
					owned.put(member.id, new TreeSet<>(shards));
				}
			}
			return owned;
		}

		synchronized int lateMoves() {
			return this.late;
		}

		private Map<String, String> views() {
			Map<String, String> views = new LinkedHashMap<>();
			this.workloads.forEach((id, workload) -> {
				if (this.live.contains(id)) {
					views.put(id, "owns " + workload.ownedShards().size() + ", sees " + workload.owners().size()
							+ " owned and members " + workload.members().stream().map(EtcdShardedWorkload.MemberInfo::instanceId).toList()
							+ ", settled on " + workload.settledMembers());
				}
			});
			return views;
		}

		private Map<String, Integer> sizes() {
			Map<String, Integer> sizes = new LinkedHashMap<>();
			this.owned.forEach((id, shards) -> sizes.put(id, shards.size()));
			return sizes;
		}

	}

	/**
	 * One instance: its own client, session and workload.
	 */
	private static final class Instance {

		private final String id;

		private final Client client;

		private final CoordinationEvents events;

		private final EtcdSession session;

		private final EtcdShardedWorkload workload;

		private Instance(String id, Client client, CoordinationEvents events, EtcdSession session,
				EtcdShardedWorkload workload) {
			this.id = id;
			this.client = client;
			this.events = events;
			this.session = session;
			this.workload = workload;
		}

		/**
		 * Connect and start the session; the workload is not started.
		 */
		static Instance create(EtcdCluster etcd, String name, int count, String id, Settings settings,
				Tracker tracker) {
			Client client = etcd.newClient();
			EtcdTemplate template = new EtcdTemplate(client, REQUEST_TIMEOUT);
			CoordinationEvents events = new CoordinationEvents(null);
			EtcdSession session = new EtcdSession(template, Duration.ofSeconds(settings.ttlSeconds()),
					Duration.ofMillis(settings.marginMillis()), SessionMetrics.NONE, events, RetryPolicy.DEFAULT);
			session.start();
			if (!session.isValid()) {
				throw new IllegalStateException("The session of " + id + " has no lease after " + REQUEST_TIMEOUT);
			}
			InstanceIdentity identity = new InstanceIdentity(id, "127.0.0.1", 0, Map.of());
			EtcdShardedWorkload workload = new EtcdShardedWorkload(name, count, 1, SETTLE_DELAY, PREFIX, template,
					session, () -> identity, List.of(), RetryPolicy.DEFAULT, new WatchProgress(template, WATCH_PROGRESS),
					ShardMetrics.NONE);
			workload.addListener(tracker.listener(id, workload));
			return new Instance(id, client, events, session, workload);
		}

		void join() {
			this.workload.start();
		}

		/**
		 * Leave as a closing application context does: the workload, then the session, then the client.
		 */
		void leave() {
			this.workload.stop();
			this.session.stop();
			this.client.close();
			this.events.close();
		}

		/**
		 * Lose the connection without stopping anything: keep-alives fail, the lease expires in etcd.
		 */
		void disconnect() {
			this.client.close();
		}

		void closeDisconnected() {
			this.workload.stop();
			this.session.stop();
			this.events.close();
		}

	}

	/**
	 * One measured change.
	 *
	 * @param nanos how long until complete
	 * @param moved shards taken meanwhile
	 * @param fewest the fewest moves possible
	 */
	private record Change(long nanos, int moved, int fewest) {
	}

	/**
	 * The runs of one change at one shard count.
	 */
	private static final class Row {

		private final int count;

		private final String label;

		private final List<Change> changes = new ArrayList<>();

		Row(int count, String label) {
			this.count = count;
			this.label = label;
		}

		int count() {
			return this.count;
		}

		String label() {
			return this.label;
		}

		void add(Change change) {
			this.changes.add(change);
		}

		String format(int width) {
			long[] nanos = this.changes.stream().mapToLong(Change::nanos).toArray();
			int[] moved = this.changes.stream().mapToInt(Change::moved).sorted().toArray();
			int[] fewest = this.changes.stream().mapToInt(Change::fewest).sorted().toArray();
			int over = this.changes.stream().mapToInt((change) -> change.moved() - change.fewest()).max().orElse(0);
			String times = LatencyRows.row(width, "N=" + this.count + " " + this.label, nanos).stripTrailing();
			return times + String.format(Locale.ROOT, " %7d %7d %7d %7d%n", median(moved), moved[moved.length - 1],
					median(fewest), over);
		}

		private static int median(int[] sorted) {
			return sorted[Math.max(0, (int) Math.ceil(sorted.length / 2.0) - 1)];
		}

	}

	/**
	 * What to measure.
	 *
	 * @param runs repetitions of each sequence
	 * @param warmup uncounted repetitions at the first count
	 * @param counts the shard counts
	 * @param instances the most instances
	 * @param lossAt how many instances there are when one loses its connection
	 * @param ttlSeconds session TTL
	 * @param marginMillis session safety margin
	 */
	record Settings(int runs, int warmup, List<Integer> counts, int instances, int lossAt, int ttlSeconds,
			int marginMillis) {

		private static final String USAGE = "--runs=5 --warmup=1 --counts=64,1024 --instances=8 --loss-at=4 --ttl=5 "
				+ "--margin=1000";

		static Settings parse(String[] args) {
			Map<String, String> values = new LinkedHashMap<>();
			for (String usage : USAGE.split(" ")) {
				values.put(usage.substring(2, usage.indexOf('=')), usage.substring(usage.indexOf('=') + 1));
			}
			for (String arg : args) {
				int equals = arg.indexOf('=');
				String name = (arg.startsWith("--") && equals > 2) ? arg.substring(2, equals) : null;
				if (name == null || !values.containsKey(name)) {
					throw new IllegalArgumentException("Unknown argument " + arg + "; use " + USAGE);
				}
				values.put(name, arg.substring(equals + 1));
			}
			try {
				Settings settings = new Settings(Integer.parseInt(values.get("runs")),
						Integer.parseInt(values.get("warmup")),
						Arrays.stream(values.get("counts").split(",")).map(String::trim).map(Integer::valueOf).toList(),
						Integer.parseInt(values.get("instances")), Integer.parseInt(values.get("loss-at")),
						Integer.parseInt(values.get("ttl")), Integer.parseInt(values.get("margin")));
				if (settings.runs() < 1 || settings.warmup() < 0 || settings.instances() < 2 || settings.lossAt() < 2
						|| settings.lossAt() > settings.instances() || settings.ttlSeconds() < 2
						|| settings.marginMillis() <= 0 || settings.marginMillis() >= settings.ttlSeconds() * 1000
						|| settings.counts().stream().anyMatch((count) -> count < settings.instances())) {
					throw new IllegalArgumentException("Need runs >= 1, warmup >= 0, instances >= 2, "
							+ "2 <= loss-at <= instances, every count >= instances, ttl >= 2 and 0 < margin < ttl: "
							+ settings);
				}
				return settings;
			}
			catch (NumberFormatException ex) {
				throw new IllegalArgumentException("Arguments are whole numbers (" + USAGE + "): " + ex.getMessage());
			}
		}

	}

}
