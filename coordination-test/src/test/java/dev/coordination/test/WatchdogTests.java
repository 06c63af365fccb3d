package dev.coordination.test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link Watchdog}: etcd and its temporary root do not outlive a JVM killed with SIGKILL.
 */
class WatchdogTests {

	@Test
	void etcdIsKilledAndItsRootDeletedWhenTheJvmIsKilled() throws Exception {
		String java = ProcessHandle.current().info().command().orElseThrow();
		Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
				EtcdChildMain.class.getName())
			.redirectErrorStream(true)
			.start();
		Map<String, String> printed = new ConcurrentHashMap<>();
		StringBuffer output = new StringBuffer();
		Thread reader = new Thread(() -> readLines(child, printed, output), "etcd-child-output");
		reader.setDaemon(true);
		reader.start();
		try {
			await().atMost(Duration.ofSeconds(30))
				.failFast("child JVM exited:\n" + output, () -> !child.isAlive())
				.until(() -> printed.containsKey("etcd-root"));
			long etcdPid = Long.parseLong(printed.get("etcd-pid"));
			Path root = Path.of(printed.get("etcd-root"));
			assertThat(TestProcesses.isAlive(etcdPid)).isTrue();
			assertThat(root).isDirectory();
			List<ProcessHandle> watchdogs = TestProcesses.processesMentioning(root.toString())
				.stream()
				.filter((process) -> process.pid() != etcdPid)
				.toList();
			assertThat(watchdogs).hasSize(1);

			child.destroyForcibly();
			await().atMost(Duration.ofSeconds(10)).until(() -> !child.isAlive());

			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				assertThat(TestProcesses.isAlive(etcdPid)).as("etcd pid %d alive", etcdPid).isFalse();
				assertThat(root).doesNotExist();
			});
			await().atMost(Duration.ofSeconds(10))
				.until(() -> TestProcesses.processesMentioning(root.toString()).isEmpty());
		}
		finally {
			child.destroyForcibly();
		}
	}

	private static void readLines(Process child, Map<String, String> printed, StringBuffer output) {
		try (BufferedReader lines = new BufferedReader(
				new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
			for (String line = lines.readLine(); line != null; line = lines.readLine()) {
				output.append(line).append('\n');
				int equals = line.indexOf('=');
				if (line.startsWith("etcd-") && equals > 0) {
					printed.put(line.substring(0, equals), line.substring(equals + 1));
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
