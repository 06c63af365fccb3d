package dev.coordination.benchmarks.startup;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import dev.coordination.benchmarks.Measurements;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;

/**
 * Measures what the starter adds to an application's start and shutdown: {@link StartupApplication}
 * (a web application with a controller, a {@code @LeaderOnly} job and a {@code @DistributedLocked}
 * method) is started {@code --runs} times without the starter ({@code coordination.enabled=false})
 * and as often with it in each variant, alternating, each in a fresh JVM with the same flags:
 * <ul>
 * <li>{@code all}: etcd client, session, election, locks, registration in discovery and the
 * configuration import {@code spring.config.import=etcd:}, against a launched etcd;</li>
 * <li>{@code no-import}: the same without the import;</li>
 * <li>{@code session}: the client and the session alone (no import, and
 * {@code coordination.etcd.election/lock/discovery/sharding.enabled=false});</li>
 * <li>{@code election}, {@code locks}, {@code discovery}: the client, the session and that one
 * capability.</li>
 * </ul>
 * Start: from just before the JVM is launched to the application's {@code ApplicationReadyEvent}
 * having passed ({@code System.nanoTime()} is one clock for all processes of a Linux host).
 * Shutdown: how long {@code context.close()} took. Prints the median and the spread of each and the
 * difference of the medians, and writes them to {@code startup-results.txt} next to the jar.
 * <p>
 * Arguments: {@code --runs=10}, {@code --variants=all} (any of
 * {@code all,no-import,session,election,locks,discovery}).
 */
public final class StartupMeasurement {

	private static final Duration BOUND = Duration.ofSeconds(60);

	private static final String USAGE = "use --runs=10 --variants=all,no-import,session,election,locks,discovery";

	private static final List<String> CAPABILITIES = List.of("election", "lock", "discovery", "sharding");

	private StartupMeasurement() {
	}

	public static void main(String[] args) {
		Measurements.run(args, (arguments) -> {
			int runs = 10;
			List<String> variants = List.of("all");
			for (String arg : arguments) {
				if (arg.startsWith("--runs=")) {
					runs = Integer.parseInt(arg.substring("--runs=".length()));
				}
				else if (arg.startsWith("--variants=")) {
					variants = List.of(arg.substring("--variants=".length()).split(","));
				}
				else {
					throw new IllegalArgumentException("Unknown argument " + arg + "; " + USAGE);
				}
			}
			if (runs < 1) {
				throw new IllegalArgumentException("Need --runs >= 1, not " + runs);
			}
			// an unknown variant fails before etcd starts
			variants.forEach((variant) -> arguments(variant, "http://127.0.0.1:2379"));
			run(runs, variants);
		});
	}

	/**
	 * The arguments of a start with the starter in {@code variant}.
	 */
	private static List<String> arguments(String variant, String endpoints) {
		List<String> arguments = new ArrayList<>(List.of("--coordination.etcd.endpoints=" + endpoints,
				"--coordination.etcd.instance.host=127.0.0.1"));
		switch (variant) {
			case "all" -> arguments.add("--spring.config.import=etcd:");
			case "no-import" -> {
			}
			case "session" -> disableAllBut(arguments, null);
			case "election" -> disableAllBut(arguments, "election");
			case "locks" -> disableAllBut(arguments, "lock");
			case "discovery" -> disableAllBut(arguments, "discovery");
			default -> throw new IllegalArgumentException("Unknown variant " + variant + "; " + USAGE);
		}
		return arguments;
	}

	private static void disableAllBut(List<String> arguments, String kept) {
		CAPABILITIES.stream()
			.filter((capability) -> !capability.equals(kept))
			.forEach((capability) -> arguments.add("--coordination.etcd." + capability + ".enabled=false"));
	}

	private static void run(int runs, List<String> variants) throws Exception {
		try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build())) {
			System.out.println("Measuring start-up against " + etcd.description() + ", " + runs + " runs each, variants "
					+ variants);
			List<String> without = List.of("--coordination.enabled=false");
			Map<String, List<String>> with = new LinkedHashMap<>();
			variants.forEach((variant) -> with.put(variant, arguments(variant, etcd.endpointsAsString())));
			// one start of each first, not counted: the page cache holds the jars afterwards
			start(without);
			for (List<String> arguments : with.values()) {
				start(arguments);
			}
			List<Run> plain = new ArrayList<>();
			Map<String, List<Run>> starter = new LinkedHashMap<>();
			for (int run = 1; run <= runs; run++) {
				plain.add(start(without));
				StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "run %d: without %s", run, plain.get(run - 1)));
				for (Map.Entry<String, List<String>> variant : with.entrySet()) {
					Run started = start(variant.getValue());
					starter.computeIfAbsent(variant.getKey(), (key) -> new ArrayList<>()).add(started);
					line.append(", ").append(variant.getKey()).append(' ').append(started);
				}
				System.out.println(line);
			}
			String report = report(etcd, runs, plain, starter);
			Path file = Measurements.targetDirectory(StartupMeasurement.class).resolve("startup-results.txt");
			Files.writeString(file, report);
			System.out.println();
			System.out.print(report);
			System.out.println("Written to " + file.toAbsolutePath().normalize());
		}
	}

	private static Run start(List<String> arguments) throws IOException, InterruptedException {
		List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
				"-Xmx256m", "-cp", System.getProperty("java.class.path"), StartupApplication.class.getName(),
				"--server.port=0", "--spring.application.name=startup", "--logging.level.root=WARN"));
		command.addAll(arguments);
		long launched = System.nanoTime();
		Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
		try (BufferedReader out = new BufferedReader(
				new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
				Writer in = process.outputWriter(StandardCharsets.UTF_8)) {
			long ready = Long.parseLong(await(out, "READY "));
			in.write("STOP\n");
			in.flush();
			long closed = Long.parseLong(await(out, "CLOSED "));
			if (!process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)) {
				throw new IllegalStateException("The application did not exit within " + BOUND);
			}
			return new Run(ready - launched, closed);
		}
		finally {
			process.destroyForcibly();
		}
	}

	/**
	 * The rest of the first line starting with {@code prefix}; other lines are skipped.
	 */
	private static String await(BufferedReader out, String prefix) throws IOException {
		String line;
		while ((line = out.readLine()) != null) {
			if (line.startsWith(prefix)) {
				return line.substring(prefix.length()).trim();
			}
		}
		throw new IllegalStateException("The application ended before printing " + prefix.trim());
	}

	private static String report(EtcdCluster etcd, int runs, List<Run> plain, Map<String, List<Run>> starter) {
		List<Long> plainStart = sorted(plain.stream().map(Run::startNanos).toList());
		List<Long> plainClose = sorted(plain.stream().map(Run::closeNanos).toList());
		StringBuilder report = new StringBuilder();
		report.append(String.format(Locale.ROOT, "%s, %d cores, Java %s%n%s%n%d starts each, alternating%n",
				ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
				Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), etcd.description(),
				runs));
		for (Map.Entry<String, List<Run>> variant : starter.entrySet()) {
			List<Long> starterStart = sorted(variant.getValue().stream().map(Run::startNanos).toList());
			List<Long> starterClose = sorted(variant.getValue().stream().map(Run::closeNanos).toList());
			List<String> arguments = arguments(variant.getKey(), "...");
			// the endpoints and the host are the same in every variant
			report.append(String.format(Locale.ROOT, "%nwith: %s (%s)%n", variant.getKey(),
					String.join(" ", arguments.subList(2, arguments.size()))));
			report.append(String.format(Locale.ROOT, "%-28s %10s %10s %10s%n", "", "without", "with", "added"));
			line(report, "start to ready, median ms", median(plainStart), median(starterStart));
			line(report, "start to ready, min ms", plainStart.get(0), starterStart.get(0));
			line(report, "close, median ms", median(plainClose), median(starterClose));
			line(report, "close, max ms", plainClose.get(plainClose.size() - 1),
					starterClose.get(starterClose.size() - 1));
		}
		return report.toString();
	}

	private static void line(StringBuilder report, String what, long without, long with) {
		report.append(String.format(Locale.ROOT, "%-28s %10.1f %10.1f %10.1f%n", what, without / 1e6, with / 1e6,
				(with - without) / 1e6));
	}

	private static List<Long> sorted(List<Long> values) {
		return values.stream().sorted().toList();
	}

	private static long median(List<Long> sorted) {
		int size = sorted.size();
		return (size % 2 == 1) ? sorted.get(size / 2) : (sorted.get(size / 2 - 1) + sorted.get(size / 2)) / 2;
	}


	/**
	 * One start: to ready, and the close.
	 */
	private record Run(long startNanos, long closeNanos) {

		@Override
		public String toString() {
			return String.format(Locale.ROOT, "%.0f ms (close %.0f ms)", this.startNanos / 1e6, this.closeNanos / 1e6);
		}

	}

}
