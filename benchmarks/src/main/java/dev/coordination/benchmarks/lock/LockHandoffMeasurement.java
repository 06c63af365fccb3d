package dev.coordination.benchmarks.lock;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import io.etcd.jetcd.Client;

/**
 * Contended hand-offs of one lock between JVMs: starts its own etcd and {@code processes}
 * {@link LockHandoffChild} JVMs with {@code threads} threads each, all locking and unlocking lock
 * {@value LockHandoffChild#LOCK} back to back for {@code seconds}, and prints the acquisitions per
 * second and the number of distinct fencing tokens (holds of the etcd key, so cross-instance
 * hand-offs plus the first). Every wait is bounded; the children are killed at the end, also on
 * failure, and exit on their own when this JVM goes away.
 * <p>
 * Arguments: {@code --processes=2 --threads=4 --seconds=10}.
 */
public final class LockHandoffMeasurement {

	private LockHandoffMeasurement() {
	}

	public static void main(String[] args) throws Exception {
		int processes = intArg(args, "processes", 2);
		int threads = intArg(args, "threads", 4);
		int seconds = intArg(args, "seconds", 10);
		List<Process> children = new ArrayList<>();
		int status = 0;
		try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build());
				Client client = Client.builder().endpoints(etcd.endpointsAsString().split(",")).build()) {
			Path logs = Path.of("benchmarks", "target", "handoff-logs");
			Files.createDirectories(logs);
			List<CompletableFuture<String>> results = new ArrayList<>();
			List<CompletableFuture<Void>> ready = new ArrayList<>();
			for (int i = 1; i <= processes; i++) {
				List<String> command = List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx256m", "-cp",
						System.getProperty("java.class.path"), LockHandoffChild.class.getName(), etcd.endpointsAsString(),
						Integer.toString(threads), Integer.toString(seconds));
				Process process = new ProcessBuilder(command)
					.redirectError(ProcessBuilder.Redirect.to(logs.resolve("child-" + i + ".log").toFile()))
					.start();
				children.add(process);
				CompletableFuture<Void> isReady = new CompletableFuture<>();
				CompletableFuture<String> result = new CompletableFuture<>();
				ready.add(isReady);
				results.add(result);
				Thread reader = new Thread(() -> read(process, isReady, result), "handoff-reader-" + i);
				reader.setDaemon(true);
				reader.start();
			}
			CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
			client.getKVClient().put(EtcdKeys.bytes(LockHandoffChild.GO_KEY), EtcdKeys.bytes("go")).get(5, TimeUnit.SECONDS);
			long acquisitions = 0;
			long tokens = 0;
			double maxSeconds = 0;
			StringBuilder perChild = new StringBuilder();
			for (int i = 0; i < processes; i++) {
				String[] words = results.get(i).get(seconds + 60, TimeUnit.SECONDS).split(" ");
				long count = Long.parseLong(words[1]);
				acquisitions += count;
				tokens += Long.parseLong(words[2]);
				double elapsed = Long.parseLong(words[3]) / 1e9;
				maxSeconds = Math.max(maxSeconds, elapsed);
				perChild.append(String.format(Locale.ROOT, "  child-%d: %d acquisitions in %.2f s%n", i + 1, count, elapsed));
			}
			System.out.printf(Locale.ROOT,
					"%d processes x %d threads, lock '%s', %d s against %s%n%s"
							+ "total: %d acquisitions, %.0f acquisitions/s, %d distinct tokens (%.1f cross-process hand-offs/s)%n",
					processes, threads, LockHandoffChild.LOCK, seconds, etcd.description(), perChild, acquisitions,
					acquisitions / maxSeconds, tokens, tokens / maxSeconds);
		}
		catch (Exception ex) {
			ex.printStackTrace();
			status = 1;
		}
		finally {
			for (Process child : children) {
				child.destroyForcibly();
				child.waitFor(10, TimeUnit.SECONDS);
			}
		}
		System.exit(status);
	}

	private static void read(Process process, CompletableFuture<Void> ready, CompletableFuture<String> result) {
		try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
			String line;
			while ((line = in.readLine()) != null) {
				if (line.startsWith("READY")) {
					ready.complete(null);
				}
				else if (line.startsWith("RESULT ")) {
					result.complete(line);
				}
			}
			ready.completeExceptionally(new IllegalStateException("Child exited before it was ready"));
			result.completeExceptionally(new IllegalStateException("Child exited without a result"));
		}
		catch (IOException ex) {
			result.completeExceptionally(ex);
		}
	}

	private static int intArg(String[] args, String name, int defaultValue) {
		for (String arg : args) {
			if (arg.startsWith("--" + name + "=")) {
				return Integer.parseInt(arg.substring(name.length() + 3));
			}
		}
		return defaultValue;
	}

}
