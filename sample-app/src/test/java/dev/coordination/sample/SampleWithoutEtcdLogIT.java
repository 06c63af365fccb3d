package dev.coordination.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample application started against an etcd that is not there (a port nobody listens on), with
 * {@code spring.config.import=optional:etcd:}: it starts, and its log says once per capability what
 * failed and why in words, as one line without a stack trace or gRPC's status dump, however often it
 * retries.
 */
class SampleWithoutEtcdLogIT {

	// a log entry starts with Boot's default console pattern: 2026-12-06T22:49:33.338Z  WARN 7926 --- ...
	private static final Pattern ENTRY = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\S+\\s+(TRACE|DEBUG|INFO|WARN|ERROR) .*");

	private static final Pattern CAUSE_IN_WORDS = Pattern.compile(
			"refused the connection|connecting to etcd( at [^ ]+)? fails|did not answer|no answer within|is unavailable|refused the credentials|denied the permission");

	private static final Pattern RAW_GRPC = Pattern.compile(
			"DEADLINE_EXCEEDED|UNAVAILABLE:|CallOptions|Last Pick Failure|StatusRuntimeException|io\\.grpc|wait_for_ready");

	private static final Pattern CONFIG_CONTEXT = Pattern.compile("etcd:/config/[^ /]+/");

	private SampleInstance instance;

	@AfterEach
	void stop() {
		if (this.instance != null) {
			this.instance.destroy();
		}
	}

	@Test
	void everyFailingCapabilityLogsOneLineWithItsCauseInWordsAndNoStackTrace() throws Exception {
		int port = portNobodyListensOn();
		this.instance = SampleInstance.start("without-etcd", "http://127.0.0.1:" + port,
				"--spring.config.import=optional:etcd:",
				// the repeats of a failure, which go to DEBUG, show that it retried more than once
				"--logging.level.dev.coordination.etcd.internal.PrefixMirror=DEBUG",
				"--logging.level.dev.coordination.session.internal.EtcdSession=DEBUG");
		// each retrying capability failed at least twice (at any level)
		await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
			assertThat(this.instance.isAlive()).as("the sample runs without etcd, see its log").isTrue();
			String log = this.instance.log();
			assertThat(log).contains("Started SampleApplication");
			assertThat(count(log, "Could not read \\[?/config/")).isGreaterThanOrEqualTo(2);
			assertThat(count(log, "Could not read \\[?/services/")).isGreaterThanOrEqualTo(2);
			assertThat(count(log, "Could not read \\[?/elections/default/")).isGreaterThanOrEqualTo(2);
			assertThat(count(log, "Could not read \\[?/shards/invoices/")).isGreaterThanOrEqualTo(2);
			assertThat(count(log, "(?i)grant a (coordination session )?lease")).isGreaterThanOrEqualTo(2);
		});
		assertThat(this.instance.terminate(Duration.ofSeconds(30))).isIn(0, 130, 143);
		List<List<String>> entries = entries(this.instance.log());
		for (List<String> entry : entries) {
			if (!entry.get(0).matches("^\\S+\\s+(TRACE|DEBUG) .*")) {
				assertThat(entry.subList(1, entry.size())).as("no stack trace after %s", entry.get(0))
					.noneMatch((line) -> line.startsWith("\tat ") || line.startsWith("Caused by:"));
			}
		}
		List<List<String>> problems = entries.stream()
			.filter((entry) -> entry.get(0).matches("^\\S+\\s+(WARN|ERROR) .*"))
			.toList();
		for (List<String> entry : problems) {
			assertThat(entry).as("one line, no stack trace").hasSize(1);
			assertThat(entry.get(0)).as("the cause in words").containsPattern(CAUSE_IN_WORDS);
			assertThat(entry.get(0)).as("no gRPC status dump").doesNotContainPattern(RAW_GRPC);
		}
		Map<String, List<String>> byCapability = new LinkedHashMap<>();
		for (List<String> entry : problems) {
			byCapability.computeIfAbsent(capability(entry.get(0)), (key) -> new ArrayList<>()).add(entry.get(0));
		}
		assertThat(byCapability).as("the WARN and ERROR lines by what they are about")
			.containsOnlyKeys("config import", "config watch", "session", "discovery", "election", "shards");
		byCapability.forEach((capability, lines) -> {
			if (capability.equals("config import")) {
				// one line per configuration context at most
				List<String> contexts = lines.stream().map(SampleWithoutEtcdLogIT::configContext).toList();
				assertThat(contexts).as(capability).doesNotHaveDuplicates();
			}
			else {
				assertThat(lines).as(capability).hasSize(1);
			}
		});
	}

	private static String capability(String line) {
		if (line.contains("EtcdConfigDataLoader")) {
			return "config import";
		}
		if (line.contains("/config/")) {
			return "config watch";
		}
		if (line.contains("coordination session")) {
			return "session";
		}
		if (line.contains("/services/") || line.contains("service catalog") || line.contains("register")) {
			return "discovery";
		}
		if (line.contains("election")) {
			return "election";
		}
		if (line.contains("/shards/") || line.contains("sharded workload")) {
			return "shards";
		}
		return "other: " + line;
	}

	private static String configContext(String line) {
		Matcher context = CONFIG_CONTEXT.matcher(line);
		return context.find() ? context.group() : line;
	}

	private static long count(String log, String regex) {
		return Pattern.compile(regex).matcher(log).results().count();
	}

	// a line that does not start a log entry (a stack trace, "Caused by: ...") belongs to the one before
	private static List<List<String>> entries(String log) {
		List<List<String>> entries = new ArrayList<>();
		for (String line : log.split("\\R")) {
			if (ENTRY.matcher(line).matches() || entries.isEmpty()) {
				entries.add(new ArrayList<>(List.of(line)));
			}
			else if (!line.isBlank()) {
				entries.get(entries.size() - 1).add(line);
			}
		}
		return entries;
	}

	private static int portNobodyListensOn() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
