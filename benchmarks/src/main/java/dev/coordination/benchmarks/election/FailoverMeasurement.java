package dev.coordination.benchmarks.election;

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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

import dev.coordination.benchmarks.Measurements;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;

/**
 * Measures leader failover between two candidate JVMs ({@link FailoverCandidate}) on one launched
 * etcd: the time from the leader letting go to the other candidate's {@code GRANTED}, both read
 * from {@code System.nanoTime()}, one monotonic clock for all processes of a Linux host.
 * <p>
 * Scenarios, each repeated {@code --runs} times (15 by default):
 * <ul>
 * <li>{@code resign}: the leader calls {@code LeaderElection.resign()}; from just before the call;</li>
 * <li>{@code stop}: the leader JVM gets SIGTERM (Spring closes the context: the election resigns,
 * the session revokes its lease); from the signal. Before each run both candidates have led and
 * resigned once, as long-running instances have (a replaced candidate costs two resigns first);</li>
 * <li>{@code stop-locks}: as {@code stop}, and before the run each candidate has also taken and
 * released {@code --lock-rounds} distinct locks (2,000 by default), as an instance that has run that
 * many {@code @DistributedLocked} calls has: a lock's release is the same guarded delete as the
 * election's withdrawal, so that path is compiled, not interpreted;</li>
 * <li>{@code stop-first}: the same as {@code stop} without the resigns: the successor is a JVM that started a moment ago
 * and never led, the leader never resigned, as in the first hand-over of a rolling restart;</li>
 * <li>{@code kill}: the leader JVM gets SIGKILL, so its lease has to expire; from the signal;</li>
 * <li>{@code etcdctl}: etcd's Go client: two {@code etcdctl elect} processes in another election,
 * the leader gets SIGTERM (on which {@code etcdctl elect} resigns, as the JVM candidates do on
 * it); from the signal to this JVM reading the successor's first line. The follower gets 200 ms
 * after its key appears to set up its watch, as a waiting candidate has.</li>
 * <li>{@code jvm}: no election: a JVM with one shutdown hook and nothing else
 * ({@link ShutdownHookProbe}, same JVM flags as the candidates) gets SIGTERM; from the signal to
 * the hook printing. What any JVM takes before application code can react to the signal.</li>
 * </ul>
 * For the SIGTERM scenarios the report also gives, from the signal, when the leader's context
 * started closing (its first {@code ContextClosedEvent} listener), when this JVM's watch saw the
 * leader's key deleted and when the successor led.
 * <p>
 * A stopped or killed candidate is replaced before the next run, which starts only when both
 * candidates hold an election key. Every wait is bounded; candidates are killed at the end, also on
 * failure, and exit by themselves when this JVM is gone. Prints the median and 99th percentile of
 * each scenario and writes them to {@code failover-results.txt} next to the jar.
 * <p>
 * Arguments: {@code --runs=15}, {@code --ttl=2} (session TTL in seconds), {@code --margin=500}
 * (safety margin in milliseconds), {@code --lock-rounds=2000},
 * {@code --scenarios=resign,stop,stop-locks,stop-first,kill,etcdctl,jvm}.
 */
public final class FailoverMeasurement {

	private static final String PREFIX = "/elections/default/";

	private static final Duration STARTUP = Duration.ofSeconds(60);

	private final EtcdCluster etcd;

	private final Settings settings;

	private final Path logDirectory;

	private final List<Candidate> candidates = new ArrayList<>();

	private final Object monitor = new Object();

	// Guarded by monitor.

	private final List<Line> lines = new ArrayList<>();

	private final Map<String, Long> keys = new HashMap<>();

	// Guarded by monitor: when this measurement's watch saw the delete of a key, by create revision.
	private final Map<Long, Long> deletedAt = new HashMap<>();

	// Per SIGTERM scenario and run: from the signal to the context closing, to the key's delete, to the successor.
	private final Map<String, List<long[]>> phases = new LinkedHashMap<>();

	private int started;

	private FailoverMeasurement(EtcdCluster etcd, Settings settings, Path logDirectory) {
		this.etcd = etcd;
		this.settings = settings;
		this.logDirectory = logDirectory;
	}

	public static void main(String[] args) {
		Measurements.run(args, (arguments) -> run(Settings.parse(arguments)));
	}

	private static void run(Settings settings) throws Exception {
		Path target = Measurements.targetDirectory(FailoverMeasurement.class);
		try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build());
				Client client = etcd.newClient()) {
			System.out.println("Measuring failover against " + etcd.description() + " at " + etcd.endpointsAsString()
					+ ": " + settings);
			FailoverMeasurement measurement = new FailoverMeasurement(etcd, settings, target.resolve("failover-logs"));
			Map<String, List<Duration>> results;
			try (Watch.Watcher watcher = measurement.watchCandidates(client)) {
				results = measurement.measure(client);
			}
			finally {
				measurement.destroyCandidates();
			}
			String report = report(etcd, settings, results, measurement.phases);
			Path file = target.resolve("failover-results.txt");
			Files.writeString(file, report);
			System.out.println();
			System.out.print(report);
			System.out.println("Written to " + file.toAbsolutePath().normalize());
		}
	}

	private Map<String, List<Duration>> measure(Client client) {
		startCandidate();
		startCandidate();
		awaitSteady();
		Map<String, List<Duration>> results = new LinkedHashMap<>();
		for (String scenario : this.settings.scenarios()) {
			List<Duration> times = new ArrayList<>();
			for (int run = 1; run <= this.settings.runs(); run++) {
				Duration failover = switch (scenario) {
					case "resign" -> resign();
					case "stop" -> {
						warmUp();
						yield stop(scenario, false);
					}
					case "stop-locks" -> {
						warmUp();
						takeLocks();
						yield stop(scenario, false);
					}
					case "stop-first" -> stop(scenario, false);
					case "kill" -> stop(scenario, true);
					case "etcdctl" -> etcdctl(client);
					case "jvm" -> shutdownHook();
					default -> throw new IllegalArgumentException("Unknown scenario " + scenario);
				};
				times.add(failover);
				System.out.printf(Locale.ROOT, "%s run %d: %.1f ms%n", scenario, run, failover.toNanos() / 1e6);
			}
			results.put(scenario, times);
		}
		return results;
	}

	private Duration resign() {
		Leader steady = awaitSteady();
		Candidate leader = steady.candidate();
		long token = steady.token();
		int from = lineCount();
		leader.send("RESIGN");
		Line resigning = awaitLine(from, (line) -> line.candidate() == leader && line.kind().equals("RESIGNING"),
				Duration.ofSeconds(5));
		Line granted = awaitLine(from, (line) -> line.kind().equals("GRANTED") && line.token() > token,
				Duration.ofSeconds(5));
		awaitLine(from, (line) -> line.candidate() == leader && line.kind().equals("RESIGNED"), Duration.ofSeconds(5));
		return Duration.ofNanos(granted.nanos() - resigning.nanos());
	}

	/**
	 * One handover between two {@code etcdctl elect} processes: start one, once it leads start the
	 * other, once that one has its key SIGTERM the leader, time the successor's first line.
	 */
	private Duration etcdctl(Client client) {
		try {
			String election = "/elections/go-baseline-" + System.nanoTime();
			GoCandidate leader = GoCandidate.start(this.etcd.endpointsAsString(), election, "first");
			GoCandidate follower = null;
			try {
				leader.awaitLed(Duration.ofSeconds(15));
				follower = GoCandidate.start(this.etcd.endpointsAsString(), election, "second");
				long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
				while (client.getKVClient()
					.get(EtcdKeys.bytes(election), GetOption.builder().isPrefix(true).withCountOnly(true).build())
					.get(5, TimeUnit.SECONDS)
					.getCount() < 2) {
					if (System.nanoTime() > deadline) {
						throw new IllegalStateException("etcdctl elect: no follower within 15 s");
					}
					TimeUnit.MILLISECONDS.sleep(5);
				}
				// the follower's key exists; its watch on the leader's key comes after it: give it the time
				// a follower that has waited for a while has had (signalled at once, it took 30 to 60 ms)
				TimeUnit.MILLISECONDS.sleep(200);
				long at = leader.terminate();
				return Duration.ofNanos(follower.awaitLed(Duration.ofSeconds(10)) - at);
			}
			finally {
				leader.destroy();
				if (follower != null) {
					follower.destroy();
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted", ex);
		}
		catch (IOException | ExecutionException | TimeoutException ex) {
			throw new IllegalStateException("etcdctl elect failed: " + ex.getMessage(), ex);
		}
	}

	/**
	 * From SIGTERM to the shutdown hook of a JVM that has nothing else ({@link ShutdownHookProbe}).
	 */
	private Duration shutdownHook() {
		List<String> command = List.of(ProcessHandle.current().info().command().orElseThrow(), "-XX:TieredStopAtLevel=1",
				"-XX:+UseSerialGC", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
				ShutdownHookProbe.class.getName());
		Process process = null;
		try {
			process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
			BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
			CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> readLine(in));
			if (!"READY".equals(ready.get(30, TimeUnit.SECONDS))) {
				throw new IllegalStateException("The shutdown hook probe did not start");
			}
			// as long as the candidates have been up before a stop, roughly
			TimeUnit.MILLISECONDS.sleep(1000);
			long at = System.nanoTime();
			// through the handle: Process.destroy() would also close the pipes
			process.toHandle().destroy();
			String hook = CompletableFuture.supplyAsync(() -> readLine(in)).get(10, TimeUnit.SECONDS);
			if (hook == null || !hook.startsWith("HOOK ")) {
				throw new IllegalStateException("The shutdown hook probe printed " + hook + " instead of HOOK");
			}
			return Duration.ofNanos(Long.parseLong(hook.substring(5)) - at);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted", ex);
		}
		catch (IOException | ExecutionException | TimeoutException ex) {
			throw new IllegalStateException("Shutdown hook probe failed: " + ex.getMessage(), ex);
		}
		finally {
			if (process != null) {
				process.destroyForcibly();
			}
		}
	}

	private static String readLine(BufferedReader in) {
		try {
			return in.readLine();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Let every candidate lead and resign once, as long-running instances have: the leader resigns
	 * until each candidate has resigned (two resigns after a candidate was replaced).
	 */
	private void warmUp() {
		while (true) {
			Candidate leader = awaitSteady().candidate();
			boolean cold;
			synchronized (this.monitor) {
				cold = this.candidates.stream().anyMatch((candidate) -> !candidate.hasResigned());
			}
			if (!cold) {
				return;
			}
			resign();
			synchronized (this.monitor) {
				leader.resigned();
			}
		}
	}

	/**
	 * Let every candidate that has not done so yet take and release {@code --lock-rounds} locks.
	 */
	private void takeLocks() {
		List<Candidate> cold;
		synchronized (this.monitor) {
			cold = this.candidates.stream().filter((candidate) -> !candidate.hasTakenLocks()).toList();
		}
		for (Candidate candidate : cold) {
			int from = lineCount();
			candidate.send("LOCKS " + this.settings.lockRounds());
			awaitLine(from, (line) -> line.candidate() == candidate && line.kind().equals("LOCKED"),
					Duration.ofSeconds(120));
			synchronized (this.monitor) {
				candidate.tookLocks();
			}
		}
	}

	private Duration stop(String scenario, boolean kill) {
		Leader steady = awaitSteady();
		Candidate leader = steady.candidate();
		long token = steady.token();
		int from = lineCount();
		long at = System.nanoTime();
		if (kill) {
			leader.process().toHandle().destroyForcibly();
		}
		else {
			// through the handle: Process.destroy() would also close the pipes
			leader.process().toHandle().destroy();
		}
		Line granted = awaitLine(from, (line) -> line.kind().equals("GRANTED") && line.token() > token,
				Duration.ofSeconds(this.settings.ttlSeconds() + 10));
		if (!kill) {
			Line closing = awaitLine(from, (line) -> line.candidate() == leader && line.kind().equals("CLOSING"),
					Duration.ofSeconds(10));
			long deleted = awaitDeleted(token, Duration.ofSeconds(10));
			this.phases.computeIfAbsent(scenario, (name) -> new ArrayList<>())
				.add(new long[] { closing.nanos() - at, deleted - at, granted.nanos() - at });
		}
		leader.awaitExit(Duration.ofSeconds(15));
		synchronized (this.monitor) {
			this.candidates.remove(leader);
		}
		startCandidate();
		return Duration.ofNanos(granted.nanos() - at);
	}

	/**
	 * Wait until both candidates are ready, both hold an election key, and one of them leads.
	 * @return the leader and its token
	 */
	private Leader awaitSteady() {
		long deadline = System.nanoTime() + STARTUP.toNanos();
		synchronized (this.monitor) {
			while (true) {
				Candidate leader = leader();
				boolean ready = this.candidates.stream().allMatch(Candidate::isReady);
				if (ready && leader != null && this.keys.size() == this.candidates.size()) {
					return new Leader(leader, leader.token());
				}
				waitUntil(deadline, () -> "two ready candidates with keys and a leader; keys " + this.keys.keySet()
						+ ", candidates " + this.candidates);
			}
		}
	}

	private Candidate leader() {
		for (Candidate candidate : this.candidates) {
			Optional<Line> last = candidate.lastChange();
			if (last.isPresent() && last.get().kind().equals("GRANTED") && candidate.process().isAlive()) {
				return candidate;
			}
		}
		return null;
	}

	private void startCandidate() {
		String name = "candidate-" + (++this.started);
		List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
				"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
				FailoverCandidate.class.getName(), "--coordination.etcd.endpoints=" + this.etcd.endpointsAsString(),
				"--coordination.etcd.session.ttl=" + this.settings.ttlSeconds() + "s",
				"--coordination.etcd.session.safety-margin=" + this.settings.marginMillis() + "ms",
				"--coordination.etcd.request-timeout=1s", "--coordination.etcd.instance.id=" + name));
		try {
			Files.createDirectories(this.logDirectory);
			Path log = this.logDirectory.resolve(name + ".log");
			Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
			Candidate candidate = new Candidate(name, process);
			synchronized (this.monitor) {
				this.candidates.add(candidate);
			}
			Thread reader = new Thread(() -> read(candidate), "failover-reader-" + name);
			reader.setDaemon(true);
			reader.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start " + name, ex);
		}
	}

	private void read(Candidate candidate) {
		try (BufferedReader in = new BufferedReader(
				new InputStreamReader(candidate.process().getInputStream(), StandardCharsets.UTF_8))) {
			String text;
			while ((text = in.readLine()) != null) {
				String[] words = text.trim().split(" ");
				Line line = new Line(candidate, words[0], List.of(words).subList(1, words.length));
				synchronized (this.monitor) {
					this.lines.add(line);
					candidate.add(line);
					this.monitor.notifyAll();
				}
			}
		}
		catch (IOException ex) {
			// the candidate is gone
		}
	}

	private Watch.Watcher watchCandidates(Client client) throws Exception {
		GetResponse snapshot = client.getKVClient()
			.get(EtcdKeys.bytes(PREFIX), GetOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
		synchronized (this.monitor) {
			snapshot.getKvs().forEach((kv) -> this.keys.put(EtcdKeys.string(kv.getKey()), kv.getCreateRevision()));
		}
		WatchOption option = WatchOption.builder()
			.isPrefix(true)
			.withRevision(snapshot.getHeader().getRevision() + 1)
			.build();
		return client.getWatchClient().watch(EtcdKeys.bytes(PREFIX), option, (response) -> {
			synchronized (this.monitor) {
				for (WatchEvent event : response.getEvents()) {
					KeyValue kv = event.getKeyValue();
					String key = EtcdKeys.string(kv.getKey());
					if (event.getEventType() == WatchEvent.EventType.DELETE) {
						Long createRevision = this.keys.remove(key);
						if (createRevision != null) {
							this.deletedAt.put(createRevision, System.nanoTime());
						}
					}
					else {
						this.keys.put(key, kv.getCreateRevision());
					}
				}
				this.monitor.notifyAll();
			}
		});
	}

	/**
	 * When this measurement's watch saw the delete of the key created at {@code token}.
	 */
	private long awaitDeleted(long token, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		synchronized (this.monitor) {
			while (!this.deletedAt.containsKey(token)) {
				waitUntil(deadline, () -> "the delete of the key created at " + token + " within " + timeout);
			}
			return this.deletedAt.get(token);
		}
	}

	private int lineCount() {
		synchronized (this.monitor) {
			return this.lines.size();
		}
	}

	private Line awaitLine(int from, Predicate<Line> predicate, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		synchronized (this.monitor) {
			while (true) {
				for (Line line : this.lines.subList(from, this.lines.size())) {
					if (predicate.test(line)) {
						return line;
					}
				}
				waitUntil(deadline, () -> "a line after #" + from + " within " + timeout + "; lines "
						+ this.lines.subList(from, this.lines.size()));
			}
		}
	}

	/**
	 * Wait on the monitor, which the caller holds, until notified or the deadline.
	 */
	private void waitUntil(long deadline, Supplier<String> what) {
		long left = deadline - System.nanoTime();
		if (left <= 0) {
			throw new IllegalStateException("Timed out waiting for " + what.get() + " (logs in "
					+ this.logDirectory.toAbsolutePath().normalize() + ")");
		}
		try {
			TimeUnit.NANOSECONDS.timedWait(this.monitor, left);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for " + what.get(), ex);
		}
	}

	private void destroyCandidates() {
		List<Candidate> all;
		synchronized (this.monitor) {
			all = List.copyOf(this.candidates);
		}
		for (Candidate candidate : all) {
			candidate.process().toHandle().destroyForcibly();
			candidate.awaitExit(Duration.ofSeconds(10));
		}
	}

	private static String report(EtcdCluster etcd, Settings settings, Map<String, List<Duration>> results,
			Map<String, List<long[]>> phases) {
		StringBuilder report = new StringBuilder();
		report.append(String.format(Locale.ROOT, "%s, %d cores, Java %s%n%s%n2 candidate JVMs, session TTL %d s, "
				+ "safety margin %d ms, request timeout 1 s%n%n",
				ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
				Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), etcd.description(),
				settings.ttlSeconds(), settings.marginMillis()));
		report.append(String.format(Locale.ROOT, "%-20s %4s %9s %9s %9s %9s%n", "failover", "runs", "min ms", "p50 ms",
				"p99 ms", "max ms"));
		results.forEach((scenario, times) -> {
			List<Long> nanos = times.stream().map(Duration::toNanos).sorted().toList();
			report.append(String.format(Locale.ROOT, "%-20s %4d %9.1f %9.1f %9.1f %9.1f%n", label(scenario), nanos.size(),
					nanos.get(0) / 1e6, percentile(nanos, 50) / 1e6, percentile(nanos, 99) / 1e6,
					nanos.get(nanos.size() - 1) / 1e6));
		});
		phases.forEach((scenario, runs) -> report.append(String.format(Locale.ROOT,
				"%s, p50 from the signal: context closing %.1f ms, key deleted (seen by a watcher) %.1f ms, "
						+ "successor leads %.1f ms%n",
				label(scenario), phase(runs, 0) / 1e6, phase(runs, 1) / 1e6, phase(runs, 2) / 1e6)));
		return report.toString();
	}

	private static long phase(List<long[]> runs, int index) {
		return percentile(runs.stream().map((run) -> run[index]).sorted().toList(), 50);
	}

	private static String label(String scenario) {
		return switch (scenario) {
			case "resign" -> "resign()";
			case "stop" -> "SIGTERM";
			case "stop-locks" -> "SIGTERM, after locks";
			case "stop-first" -> "SIGTERM, first";
			case "kill" -> "SIGKILL";
			case "etcdctl" -> "etcdctl";
			case "jvm" -> "JVM hook only";
			default -> scenario;
		};
	}

	/**
	 * Nearest-rank percentile: with 15 runs, p50 is the 8th value and p99 the largest.
	 */
	static long percentile(List<Long> sorted, int percent) {
		int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
		return sorted.get(Math.max(rank, 1) - 1);
	}


	/**
	 * The candidate that leads, and the token of its term.
	 */
	private record Leader(Candidate candidate, long token) {
	}

	/**
	 * A line a candidate printed.
	 */
	private record Line(Candidate candidate, String kind, List<String> args) {

		long token() {
			return Long.parseLong(this.args.get(0));
		}

		long nanos() {
			return Long.parseLong(this.args.get(this.args.size() - 1));
		}

	}

	/**
	 * A candidate JVM. Its lines are guarded by the measurement's monitor.
	 */
	private static final class Candidate {

		private final String name;

		private final Process process;

		private final Writer commands;

		private final List<Line> lines = new ArrayList<>();

		private boolean resigned;

		private boolean tookLocks;

		Candidate(String name, Process process) {
			this.name = name;
			this.process = process;
			this.commands = process.outputWriter(StandardCharsets.UTF_8);
		}

		Process process() {
			return this.process;
		}

		void add(Line line) {
			this.lines.add(line);
		}

		boolean hasResigned() {
			return this.resigned;
		}

		void resigned() {
			this.resigned = true;
		}

		boolean hasTakenLocks() {
			return this.tookLocks;
		}

		void tookLocks() {
			this.tookLocks = true;
		}

		boolean isReady() {
			return this.lines.stream().anyMatch((line) -> line.kind().equals("READY"));
		}

		Optional<Line> lastChange() {
			for (int i = this.lines.size() - 1; i >= 0; i--) {
				String kind = this.lines.get(i).kind();
				if (kind.equals("GRANTED") || kind.equals("REVOKED")) {
					return Optional.of(this.lines.get(i));
				}
			}
			return Optional.empty();
		}

		long token() {
			return lastChange().orElseThrow().token();
		}

		void send(String command) {
			try {
				this.commands.write(command + "\n");
				this.commands.flush();
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot send " + command + " to " + this.name, ex);
			}
		}

		void awaitExit(Duration timeout) {
			try {
				this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		@Override
		public String toString() {
			return this.name + " (pid " + this.process.pid() + ")";
		}

	}

	/**
	 * An {@code etcdctl elect} process: it prints the election key and its value once it leads, and
	 * resigns on SIGINT or SIGTERM.
	 */
	private static final class GoCandidate {

		private final Process process;

		private final CompletableFuture<Long> led = new CompletableFuture<>();

		private GoCandidate(Process process) {
			this.process = process;
		}

		static GoCandidate start(String endpoints, String election, String value) throws IOException {
			Process process = new ProcessBuilder("etcdctl", "--endpoints=" + endpoints, "elect", election, value)
				.redirectError(ProcessBuilder.Redirect.DISCARD)
				.start();
			GoCandidate candidate = new GoCandidate(process);
			Thread reader = new Thread(() -> {
				try (BufferedReader in = new BufferedReader(
						new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
					if (in.readLine() != null) {
						candidate.led.complete(System.nanoTime());
					}
					while (in.readLine() != null) {
						// drain
					}
				}
				catch (IOException ex) {
					// the process is gone
				}
			}, "etcdctl-reader-" + value);
			reader.setDaemon(true);
			reader.start();
			return candidate;
		}

		boolean hasLed() {
			return this.led.isDone();
		}

		long awaitLed(Duration timeout) throws InterruptedException, ExecutionException,
				TimeoutException {
			return this.led.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}

		/**
		 * Send SIGTERM; the time just before.
		 */
		long terminate() {
			long at = System.nanoTime();
			// through the handle: Process.destroy() would also close the pipes
			this.process.toHandle().destroy();
			return at;
		}

		void destroy() throws InterruptedException {
			this.process.destroyForcibly();
			this.process.waitFor(10, TimeUnit.SECONDS);
		}

	}

	/**
	 * What to measure.
	 *
	 * @param runs repetitions of each scenario
	 * @param ttlSeconds session TTL of the candidates
	 * @param marginMillis their safety margin
	 * @param scenarios {@code resign}, {@code stop}, {@code stop-first}, {@code kill}, {@code etcdctl}
	 */
	record Settings(int runs, int ttlSeconds, int marginMillis, int lockRounds, List<String> scenarios) {

		static Settings parse(String[] args) {
			Map<String, String> values = new LinkedHashMap<>(
					Map.of("runs", "15", "ttl", "2", "margin", "500", "lock-rounds", "2000", "scenarios",
							"resign,stop,stop-locks,stop-first,kill,etcdctl,jvm"));
			for (String arg : args) {
				int equals = arg.indexOf('=');
				String name = (arg.startsWith("--") && equals > 2) ? arg.substring(2, equals) : null;
				if (name == null || !values.containsKey(name)) {
					throw new IllegalArgumentException("Unknown argument " + arg
							+ "; use --runs=15 --ttl=2 --margin=500 --lock-rounds=2000"
							+ " --scenarios=resign,stop,stop-locks,stop-first,kill,etcdctl,jvm");
				}
				values.put(name, arg.substring(equals + 1));
			}
			List<String> scenarios = Arrays.asList(values.get("scenarios").split(","));
			if (!List.of("resign", "stop", "stop-locks", "stop-first", "kill", "etcdctl", "jvm").containsAll(scenarios)) {
				throw new IllegalArgumentException(
						"Scenarios are resign, stop, stop-locks, stop-first, kill, etcdctl and jvm, not " + scenarios);
			}
			Settings settings = new Settings(Integer.parseInt(values.get("runs")), Integer.parseInt(values.get("ttl")),
					Integer.parseInt(values.get("margin")), Integer.parseInt(values.get("lock-rounds")),
					List.copyOf(scenarios));
			if (settings.runs() < 1 || settings.ttlSeconds() < 2 || settings.marginMillis() <= 0
					|| settings.marginMillis() >= settings.ttlSeconds() * 1000 || settings.lockRounds() < 1) {
				throw new IllegalArgumentException(
						"Need runs >= 1, ttl >= 2, 0 < margin < ttl and lock-rounds >= 1: " + settings);
			}
			return settings;
		}

	}

}
