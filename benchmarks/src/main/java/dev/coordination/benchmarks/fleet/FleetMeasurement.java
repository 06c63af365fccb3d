package dev.coordination.benchmarks.fleet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import dev.coordination.benchmarks.Measurements;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import io.etcd.jetcd.Client;

/**
 * The scale model of a fleet: for each cluster shape (one etcd member, three) and each fleet size
 * N, starts N simulated instances ({@link FleetChild}: whole application contexts, at most
 * {@code --per-jvm} per JVM) against a fresh etcd and reports, at steady state: etcd requests per
 * second (unary calls, and stream messages such as keep-alives), watchers, etcd's CPU and database
 * size, heap per instance; and, timed with {@code System.nanoTime()} (one clock for all processes of
 * a Linux host): how long a registration takes to reach every catalog, a configuration change to
 * reach every instance, and a graceful leader handover.
 * <p>
 * A size that cannot be run (an instance JVM fails, a bound passes) is reported with why, and the
 * larger sizes of that shape are skipped; the run goes on with the next shape. Writes
 * {@code fleet-results.txt}, {@code fleet-results.csv} and one PNG per cost ({@link FleetPlots})
 * next to the jar.
 * <p>
 * Arguments: {@code --sizes=10,100,500,1000}, {@code --members=1,3}, {@code --per-jvm=250},
 * {@code --samples=5} (registrations, changes and handovers timed per size), {@code --window=15}
 * (seconds of steady state the rates are taken over).
 */
public final class FleetMeasurement {

	private final EtcdCluster etcd;

	private final Settings settings;

	private final List<Child> children = new ArrayList<>();

	private final List<Line> lines = new ArrayList<>();

	private FleetMeasurement(EtcdCluster etcd, Settings settings) {
		this.etcd = etcd;
		this.settings = settings;
	}

	public static void main(String[] args) {
		Measurements.run(args, (arguments) -> run(Settings.parse(arguments)));
	}

	private static void run(Settings settings) throws Exception {
		Path target = Measurements.targetDirectory(FleetMeasurement.class);
		List<FleetRow> rows = new ArrayList<>();
		List<String> stops = new ArrayList<>();
		for (int members : settings.members()) {
			for (int size : settings.sizes()) {
				System.out.printf(Locale.ROOT, "%n=== %d instances, %d etcd member(s)%n", size, members);
				try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().members(members).build())) {
					FleetMeasurement measurement = new FleetMeasurement(etcd, settings);
					try {
						FleetRow row = measurement.measure(members, size);
						rows.add(row);
						System.out.println(row.describe());
					}
					finally {
						measurement.stopChildren();
					}
				}
				catch (Exception | OutOfMemoryError ex) {
					String stop = String.format(Locale.ROOT, "%d member(s): stopped at %d instances: %s", members, size,
							ex);
					stops.add(stop);
					System.out.println(stop);
					break;
				}
			}
		}
		String report = FleetReport.text(settings, rows, stops);
		Files.writeString(target.resolve("fleet-results.txt"), report);
		Files.writeString(target.resolve("fleet-results.csv"), FleetReport.csv(rows));
		List<Path> plots = FleetPlots.write(rows, target);
		System.out.println();
		System.out.print(report);
		System.out.println("Written to " + target.resolve("fleet-results.txt").toAbsolutePath().normalize()
				+ ", fleet-results.csv and " + plots.size() + " plots");
	}

	private FleetRow measure(int members, int size) throws Exception {
		long startAt = System.nanoTime();
		int jvms = (size + this.settings.perJvm() - 1) / this.settings.perJvm();
		for (int jvm = 0; jvm < jvms; jvm++) {
			int first = jvm * this.settings.perJvm();
			startChild(first, Math.min(this.settings.perJvm(), size - first));
		}
		Duration startBound = Duration.ofSeconds(120 + size);
		awaitCount((line) -> line.kind().equals("READY"), jvms, startBound);
		double startSeconds = (System.nanoTime() - startAt) / 1e9;
		System.out.printf(Locale.ROOT, "%d instances ready in %.1f s%n", size, startSeconds);
		// settle: every candidacy and registration is in, keep-alives are at their pace
		TimeUnit.SECONDS.sleep(5);
		EtcdMetrics before = EtcdMetrics.scrape(this.etcd.endpoints());
		TimeUnit.SECONDS.sleep(this.settings.windowSeconds());
		EtcdMetrics after = EtcdMetrics.scrape(this.etcd.endpoints());
		double unary = after.rate(before, "grpc_server_handled_total", "grpc_type=\"unary\"");
		double streamed = after.rate(before, "grpc_server_msg_received_total", "_stream\"");
		double keepAlives = after.rate(before, "grpc_server_msg_received_total", "grpc_method=\"LeaseKeepAlive\"");
		double watchMessages = after.rate(before, "grpc_server_msg_received_total", "grpc_method=\"Watch\"");
		System.out.printf(Locale.ROOT, "stream messages per second: %.2f keep-alives, %.2f watch requests%n", keepAlives,
				watchMessages);
		double cpu = after.rate(before, "process_cpu_seconds_total", "");
		double watchers = after.sum("etcd_debugging_mvcc_watcher_total", "");
		double dbBytes = after.max("etcd_mvcc_db_total_size_in_bytes");
		double heapPerInstance = heapPerInstance(size);
		Timings registration = registrations(size);
		Timings configuration = configurationChanges(size);
		Timings failover = handovers();
		return new FleetRow(members, size, jvms, startSeconds, unary, streamed, watchers, cpu, dbBytes,
				heapPerInstance, registration, configuration, failover);
	}

	private double heapPerInstance(int size) {
		int from = lineCount();
		broadcast("MEM");
		List<Line> mem = awaitCount((line) -> line.kind().equals("MEM"), this.children.size(), from,
				Duration.ofSeconds(60));
		long used = mem.stream().mapToLong((line) -> Long.parseLong(line.args().get(0))).sum();
		long base = this.children.stream().mapToLong(Child::base).sum();
		return (double) (used - base) / size;
	}

	/**
	 * Register instances of another service straight in etcd; each must reach every catalog.
	 */
	private Timings registrations(int size) throws Exception {
		List<Long> each = new ArrayList<>();
		List<Long> all = new ArrayList<>();
		try (Client client = this.etcd.newClient()) {
			// sample 0 warms the instances' event paths up and is not counted
			for (int sample = 0; sample <= this.settings.samples(); sample++) {
				String id = "probe-" + sample;
				String record = "{\"instanceId\":\"" + id + "\",\"serviceId\":\"" + FleetChild.PROBE_SERVICE
						+ "\",\"host\":\"127.0.0.1\",\"port\":" + (30000 + sample) + ",\"status\":\"UP\"}";
				int from = lineCount();
				long at = System.nanoTime();
				client.getKVClient()
					.put(EtcdKeys.bytes("/services/" + FleetChild.PROBE_SERVICE + "/" + id), EtcdKeys.bytes(record))
					.get(30, TimeUnit.SECONDS);
				List<Line> seen = awaitCount(
						(line) -> line.kind().equals("REG") && line.args().get(1).equals(id), size, from,
						Duration.ofSeconds(60));
				if (sample > 0) {
					record(at, seen, each, all);
				}
			}
		}
		return Timings.of(each, all);
	}

	/**
	 * Change a property of the fleet's configuration context; it must reach every instance.
	 */
	private Timings configurationChanges(int size) throws Exception {
		List<Long> each = new ArrayList<>();
		List<Long> all = new ArrayList<>();
		try (Client client = this.etcd.newClient()) {
			// sample 0 warms the instances' event paths up and is not counted
			for (int sample = 0; sample <= this.settings.samples(); sample++) {
				String value = "m" + sample + "-" + System.nanoTime();
				int from = lineCount();
				long at = System.nanoTime();
				client.getKVClient()
					.put(EtcdKeys.bytes("/config/" + FleetChild.SERVICE + "/fleet/marker"), EtcdKeys.bytes(value))
					.get(30, TimeUnit.SECONDS);
				List<Line> seen = awaitCount((line) -> line.kind().equals("CONF") && line.args().get(1).equals(value),
						size, from, Duration.ofSeconds(60));
				if (sample > 0) {
					record(at, seen, each, all);
				}
				// the next change after a quiet period, as an isolated change would come
				TimeUnit.MILLISECONDS.sleep(200);
			}
		}
		return Timings.of(each, all);
	}

	/**
	 * Close the instance that leads; another one leads.
	 */
	private Timings handovers() {
		List<Long> times = new ArrayList<>();
		for (int sample = 0; sample < Math.min(3, this.settings.samples()); sample++) {
			int from = lineCount();
			broadcast("CLOSE-LEADER");
			Line closing = awaitCount((line) -> line.kind().equals("CLOSING"), 1, from, Duration.ofSeconds(60)).get(0);
			Line granted = awaitCount((line) -> line.kind().equals("GRANTED") && line.nanos() > closing.nanos(), 1,
					from, Duration.ofSeconds(60)).get(0);
			times.add(granted.nanos() - closing.nanos());
		}
		return Timings.of(times, times);
	}

	private static void record(long at, List<Line> seen, List<Long> each, List<Long> all) {
		long last = 0;
		for (Line line : seen) {
			long took = line.nanos() - at;
			each.add(took);
			last = Math.max(last, took);
		}
		all.add(last);
		System.out.printf(Locale.ROOT, "  reached all %d in %.1f ms%n", seen.size(), last / 1e6);
	}

	private void startChild(int first, int count) throws IOException {
		List<String> command = List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx6g",
				"-Xss512k", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp",
				System.getProperty("java.class.path"), FleetChild.class.getName(), this.etcd.endpointsAsString(),
				Integer.toString(first), Integer.toString(count));
		Path log = Measurements.targetDirectory(FleetMeasurement.class)
			.resolve("fleet-logs")
			.resolve("instances-" + first + ".log");
		Files.createDirectories(log.getParent());
		Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
		Child child = new Child(process, process.outputWriter(StandardCharsets.UTF_8));
		this.children.add(child);
		Thread reader = new Thread(() -> read(child), "fleet-reader-" + first);
		reader.setDaemon(true);
		reader.start();
	}

	private void read(Child child) {
		try (BufferedReader in = new BufferedReader(
				new InputStreamReader(child.process().getInputStream(), StandardCharsets.UTF_8))) {
			String text;
			while ((text = in.readLine()) != null) {
				String[] words = text.trim().split(" ");
				Line line = new Line(words[0], List.of(words).subList(1, words.length));
				if (line.kind().equals("BASE")) {
					child.base(Long.parseLong(line.args().get(0)));
				}
				synchronized (this.lines) {
					this.lines.add(line);
					this.lines.notifyAll();
				}
			}
		}
		catch (IOException ex) {
			// the child is gone
		}
	}

	private void broadcast(String command) {
		for (Child child : this.children) {
			try {
				child.commands().write(command + "\n");
				child.commands().flush();
			}
			catch (IOException ex) {
				throw new UncheckedIOException("An instance JVM is gone", ex);
			}
		}
	}

	private int lineCount() {
		synchronized (this.lines) {
			return this.lines.size();
		}
	}

	private List<Line> awaitCount(Predicate<Line> predicate, int count, Duration bound) {
		return awaitCount(predicate, count, 0, bound);
	}

	private List<Line> awaitCount(Predicate<Line> predicate, int count, int from, Duration bound) {
		long deadline = System.nanoTime() + bound.toNanos();
		synchronized (this.lines) {
			while (true) {
				List<Line> matching = this.lines.subList(from, this.lines.size()).stream().filter(predicate).toList();
				if (matching.size() >= count) {
					return matching.subList(0, count);
				}
				for (Child child : this.children) {
					if (!child.process().isAlive()) {
						throw new IllegalStateException("An instance JVM exited (" + child.process().exitValue()
								+ "); see target/fleet-logs");
					}
				}
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					throw new IllegalStateException(
							"Only " + matching.size() + " of " + count + " answers within " + bound);
				}
				try {
					TimeUnit.NANOSECONDS.timedWait(this.lines, Math.min(left, TimeUnit.SECONDS.toNanos(1)));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException("Interrupted", ex);
				}
			}
		}
	}

	private void stopChildren() {
		for (Child child : this.children) {
			child.process().destroyForcibly();
		}
		for (Child child : this.children) {
			try {
				child.process().waitFor(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		this.children.clear();
	}


	/**
	 * A line an instance JVM printed.
	 */
	private record Line(String kind, List<String> args) {

		long nanos() {
			return Long.parseLong(this.args.get(this.args.size() - 1));
		}

	}

	/**
	 * An instance JVM: its process, its stdin, its heap before any instance.
	 */
	private static final class Child {

		private final Process process;

		private final Writer commands;

		private volatile long base;

		Child(Process process, Writer commands) {
			this.process = process;
			this.commands = commands;
		}

		Process process() {
			return this.process;
		}

		Writer commands() {
			return this.commands;
		}

		long base() {
			return this.base;
		}

		void base(long bytes) {
			this.base = bytes;
		}

	}

	/**
	 * What to measure.
	 */
	record Settings(List<Integer> sizes, List<Integer> members, int perJvm, int samples, int windowSeconds) {

		static Settings parse(String[] args) {
			Map<String, String> values = new LinkedHashMap<>(Map.of("sizes", "10,100,500,1000", "members", "1,3",
					"per-jvm", "250", "samples", "5", "window", "15"));
			for (String arg : args) {
				int equals = arg.indexOf('=');
				String name = (arg.startsWith("--") && equals > 2) ? arg.substring(2, equals) : null;
				if (name == null || !values.containsKey(name)) {
					throw new IllegalArgumentException("Unknown argument " + arg
							+ "; use --sizes=10,100,500,1000 --members=1,3 --per-jvm=250 --samples=5 --window=15");
				}
				values.put(name, arg.substring(equals + 1));
			}
			Settings settings = new Settings(numbers(values.get("sizes")), numbers(values.get("members")),
					Integer.parseInt(values.get("per-jvm")), Integer.parseInt(values.get("samples")),
					Integer.parseInt(values.get("window")));
			if (settings.perJvm() < 1 || settings.samples() < 1 || settings.windowSeconds() < 1
					|| settings.sizes().stream().anyMatch((n) -> n < 2)) {
				throw new IllegalArgumentException("Need sizes >= 2, per-jvm, samples and window >= 1: " + settings);
			}
			return settings;
		}

		private static List<Integer> numbers(String list) {
			return Arrays.stream(list.split(",")).map(String::trim).map(Integer::parseInt).toList();
		}

	}

	/**
	 * Times of one kind at one size.
	 *
	 * @param each every instance's time, every sample
	 * @param all per sample, until the last instance
	 */
	record Timings(List<Long> each, List<Long> all) {

		static Timings of(List<Long> each, List<Long> all) {
			return new Timings(each.stream().sorted().toList(), all.stream().sorted().toList());
		}

		double p50Millis() {
			return percentile(this.each, 50) / 1e6;
		}

		double p99Millis() {
			return percentile(this.each, 99) / 1e6;
		}

		double allP50Millis() {
			return percentile(this.all, 50) / 1e6;
		}

		private static long percentile(List<Long> sorted, int percent) {
			if (sorted.isEmpty()) {
				return 0;
			}
			int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
			return sorted.get(Math.max(rank, 1) - 1);
		}

	}

	/**
	 * What one size cost.
	 */
	record FleetRow(int members, int size, int jvms, double startSeconds, double unaryPerSecond,
			double streamMessagesPerSecond, double watchers, double etcdCpuCores, double dbBytes,
			double heapBytesPerInstance, Timings registration, Timings configuration, Timings failover) {

		String describe() {
			return String.format(Locale.ROOT,
					"%d instances: %.1f unary/s, %.1f stream msgs/s, %.0f watchers, etcd CPU %.3f cores, db %.1f MB, "
							+ "heap %.2f MB/instance; registration p50 %.1f ms p99 %.1f ms (all %.1f ms); "
							+ "config p50 %.1f ms p99 %.1f ms (all %.1f ms); handover p50 %.1f ms",
					this.size, this.unaryPerSecond, this.streamMessagesPerSecond, this.watchers, this.etcdCpuCores,
					this.dbBytes / 1e6, this.heapBytesPerInstance / 1e6, this.registration.p50Millis(),
					this.registration.p99Millis(), this.registration.allP50Millis(), this.configuration.p50Millis(),
					this.configuration.p99Millis(), this.configuration.allP50Millis(), this.failover.p50Millis());
		}

	}

	static String now() {
		return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
	}

}
