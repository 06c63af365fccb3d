package dev.coordination.benchmarks;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Starts one etcd, runs the JMH benchmarks of this module against it and prints the results table.
 * <p>
 * Arguments are JMH's own: a regular expression selects benchmarks ({@code 'Floor'}), {@code -f},
 * {@code -wi}, {@code -w}, {@code -i}, {@code -r} override the short defaults (1 fork, 5 warmup
 * iterations of 2 s, 3 measurement iterations of 2 s), {@code -h} and {@code -l} help and list
 * without starting etcd. The endpoints reach the forked benchmark JVM as
 * {@code -D}{@value BenchmarkClients#ENDPOINTS_PROPERTY}. A failing benchmark does not stop the
 * others (unless {@code -foe true} is given): it is missing from the table, named under it, and the
 * run ends with status 1. etcd is closed at the end, also on failure. The table is printed and
 * written to {@code benchmark-results.txt} next to the jar ({@code benchmarks/target}), or to the
 * file named by {@code -Dcoordination.benchmark.results}.
 */
public final class BenchmarkMain {

	static final String RESULTS_PROPERTY = "coordination.benchmark.results";

	private static final String RESULTS_FILE = "benchmark-results.txt";

	private BenchmarkMain() {
	}

	public static void main(String[] args) {
		int status;
		try {
			status = run(args);
		}
		catch (CommandLineOptionException ex) {
			System.err.println("Invalid arguments: " + ex.getMessage() + " (-h for help)");
			status = 2;
		}
		catch (NoBenchmarksException ex) {
			System.err.println("No benchmark matches " + String.join(" ", args) + " (-l lists them)");
			status = 2;
		}
		catch (Exception ex) {
			ex.printStackTrace();
			status = 1;
		}
		// gRPC and etcd watchdog threads must not keep the JVM alive.
		System.exit(status);
	}

	static int run(String[] args) throws CommandLineOptionException, IOException, RunnerException {
		CommandLineOptions commandLine = new CommandLineOptions(args);
		if (commandLine.shouldHelp()) {
			commandLine.showHelp();
			return 0;
		}
		if (commandLine.shouldList()) {
			new Runner(commandLine).list();
			return 0;
		}
		// trials compact etcd: never run them against a shared cluster named by ETCD_ENDPOINTS
		try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build())) {
			String endpoints = etcd.endpointsAsString();
			System.out.println("Benchmarking against " + etcd.description() + " at " + endpoints);
			// Read by benchmarks that run in this JVM (-f 0).
			System.setProperty(BenchmarkClients.ENDPOINTS_PROPERTY, endpoints);
			Options options = options(commandLine, endpoints);
			Collection<RunResult> results = new Runner(options).run();
			List<String> failed = failed(options, results);
			String report = header(etcd, options) + ResultTable.of(results).format()
					+ (failed.isEmpty() ? "" : String.format("%nFailed, see their errors above: %s%n", failed));
			Path file = resultsFile();
			Files.createDirectories(file.toAbsolutePath().getParent());
			Files.writeString(file, report);
			System.out.println();
			System.out.print(report);
			System.out.println();
			System.out.println("Written to " + file.toAbsolutePath().normalize());
			return failed.isEmpty() ? 0 : 1;
		}
	}

	/**
	 * The selected benchmarks that produced no result.
	 */
	private static List<String> failed(Options options, Collection<RunResult> results) {
		Set<String> produced = results.stream()
			.map((result) -> result.getParams().getBenchmark())
			.collect(Collectors.toSet());
		return BenchmarkList.defaultList()
			.find(OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), options.getIncludes(),
					options.getExcludes())
			.stream()
			.map(BenchmarkListEntry::getUsername)
			.filter((name) -> !produced.contains(name))
			.distinct()
			.sorted()
			.toList();
	}

	/**
	 * JMH options: the command line's, with this module's defaults where it says nothing, and the
	 * endpoints appended to the forked JVM's arguments.
	 * @param commandLine the parsed command line
	 * @param endpoints the comma-separated etcd endpoints
	 * @return the options
	 */
	static Options options(CommandLineOptions commandLine, String endpoints) {
		ChainedOptionsBuilder builder = new OptionsBuilder().parent(commandLine);
		if (!commandLine.getForkCount().hasValue()) {
			builder.forks(1);
		}
		// On 2 cores a fresh fork needs 10-12 s of calls before the JIT has compiled the gRPC, Netty
		// and jetcd paths: after 4 s of warm-up the latency was still falling by a third per iteration.
		if (!commandLine.getWarmupIterations().hasValue()) {
			builder.warmupIterations(5);
		}
		if (!commandLine.getWarmupTime().hasValue()) {
			builder.warmupTime(TimeValue.seconds(2));
		}
		if (!commandLine.getMeasurementIterations().hasValue()) {
			builder.measurementIterations(3);
		}
		if (!commandLine.getMeasurementTime().hasValue()) {
			builder.measurementTime(TimeValue.seconds(2));
		}
		// one failing benchmark must not throw away the others' results: it is missing from the
		// table, its error is in the log, and the run ends with status 1
		if (!commandLine.shouldFailOnError().hasValue()) {
			builder.shouldFailOnError(false);
		}
		List<String> append = new ArrayList<>(commandLine.getJvmArgsAppend().orElse(List.of()));
		append.add("-D" + BenchmarkClients.ENDPOINTS_PROPERTY + "=" + endpoints);
		builder.jvmArgsAppend(append.toArray(String[]::new));
		return builder.build();
	}

	private static String header(EtcdCluster etcd, Options options) {
		String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
		return String.format("%s, %d cores, Java %s%n%s%n%d fork(s), %d x %s warmup, %d x %s measurement, "
				+ "%d thread(s)%n%n", date,
				Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), etcd.description(),
				options.getForkCount().get(), options.getWarmupIterations().get(), options.getWarmupTime().get(),
				options.getMeasurementIterations().get(), options.getMeasurementTime().get(),
				options.getThreads().orElse(1));
	}

	private static Path resultsFile() {
		String configured = System.getProperty(RESULTS_PROPERTY);
		if (configured != null && !configured.isBlank()) {
			return Path.of(configured);
		}
		try {
			Path location = Path.of(BenchmarkMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
			// benchmarks/target/benchmarks.jar or benchmarks/target/classes: both resolve to target.
			return location.toAbsolutePath().getParent().resolve(RESULTS_FILE);
		}
		catch (URISyntaxException | RuntimeException ex) {
			return Path.of(RESULTS_FILE);
		}
	}

}
