package dev.coordination.benchmarks.lock;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;

/**
 * Many virtual-thread waiters against a pool of platform threads on one {@code @DistributedLocked}
 * method: starts its own etcd, then one {@link VirtualThreadWaitersChild} JVM after the other (same
 * heap limit, never both at once): {@code virtual} virtual threads, then {@code platform} platform
 * threads, each making {@code calls} calls in all, every thread started at once so that all but one
 * wait. Prints, for each, the calls per second, the peak heap used during the measured round, the
 * resident set's high-water mark and the peak number of platform threads. Needs Java 21 or later.
 * <p>
 * Arguments: {@code --virtual=10000 --platform=200 --calls=50000 --heap=1g}.
 */
public final class VirtualThreadWaitersMeasurement {

	private VirtualThreadWaitersMeasurement() {
	}

	public static void main(String[] args) throws Exception {
		if (Runtime.version().feature() < 21) {
			System.err.println("Virtual threads need Java 21 or later; this is Java " + Runtime.version()
					+ ": run it with a JDK 25's java");
			System.exit(1);
		}
		int virtual = intArg(args, "virtual", 10_000);
		int platform = intArg(args, "platform", 200);
		int calls = intArg(args, "calls", 50_000);
		String heap = stringArg(args, "heap", "1g");
		int status = 0;
		try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build())) {
			Path logs = Path.of("benchmarks", "target", "virtual-thread-logs");
			Files.createDirectories(logs);
			System.out.printf(Locale.ROOT, "%d calls of one @DistributedLocked method, Java %s, %d cores, -Xmx%s, against %s%n",
					calls, Runtime.version(), Runtime.getRuntime().availableProcessors(), heap, etcd.description());
			System.out.printf(Locale.ROOT, "%-9s %7s %10s %12s %14s %10s %17s%n", "threads", "count", "calls/s",
					"elapsed ms", "peak heap MiB", "RSS MiB", "platform threads");
			for (List<Object> run : List.<List<Object>>of(List.of("virtual", virtual), List.of("platform", platform))) {
				String[] result = child(etcd.endpointsAsString(), (String) run.get(0), (Integer) run.get(1), calls, heap,
						logs).split(" ");
				long elapsedNanos = Long.parseLong(result[4]);
				if (!result[8].equals("1")) {
					throw new IllegalStateException("Mutual exclusion broken: " + result[8] + " threads inside at once");
				}
				System.out.printf(Locale.ROOT, "%-9s %7s %10.0f %12.0f %14.1f %10.1f %17s%n", result[1], result[2],
						Long.parseLong(result[3]) / (elapsedNanos / 1e9), elapsedNanos / 1e6,
						Long.parseLong(result[5]) / 1048576.0, Long.parseLong(result[6]) / 1024.0, result[7]);
			}
		}
		catch (Exception ex) {
			ex.printStackTrace();
			status = 1;
		}
		System.exit(status);
	}

	/**
	 * Run one child JVM to its end (10 minutes at most).
	 * @return its {@code RESULT} line
	 */
	private static String child(String endpoints, String mode, int threads, int calls, String heap, Path logs)
			throws Exception {
		List<String> command = List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx" + heap, "-cp",
				System.getProperty("java.class.path"), VirtualThreadWaitersChild.class.getName(), endpoints, mode,
				Integer.toString(threads), Integer.toString(calls));
		Process process = new ProcessBuilder(command)
			.redirectError(ProcessBuilder.Redirect.to(logs.resolve(mode + ".log").toFile()))
			.start();
		try {
			CompletableFuture<String> result = CompletableFuture.supplyAsync(() -> read(process));
			return result.get(10, TimeUnit.MINUTES);
		}
		finally {
			process.destroyForcibly();
			process.waitFor(10, TimeUnit.SECONDS);
		}
	}

	private static String read(Process process) {
		try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
			String line;
			while ((line = in.readLine()) != null) {
				if (line.startsWith("RESULT ")) {
					return line;
				}
			}
			throw new IllegalStateException("The child exited without a result: see benchmarks/target/virtual-thread-logs");
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static int intArg(String[] args, String name, int defaultValue) {
		return Integer.parseInt(stringArg(args, name, Integer.toString(defaultValue)));
	}

	private static String stringArg(String[] args, String name, String defaultValue) {
		for (String arg : args) {
			if (arg.startsWith("--" + name + "=")) {
				return arg.substring(name.length() + 3);
			}
		}
		return defaultValue;
	}

}
