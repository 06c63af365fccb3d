package dev.coordination.it.lock.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@link LockChildApplication} JVM started by a test: its stdout is read line by line into
 * {@link Line}s and copied to {@code <name>.log}. The minimum of the election tests'
 * {@code ChildProcess}: the same JVM flags, and the same {@code sh} watchdog that kills the child
 * with SIGKILL when the test JVM is gone. Thread-safe.
 */
final class LockChild {

	// $1 = test JVM pid, $2 = child pid; a zombie counts as dead
	private static final String WATCHDOG = """
			alive() {
			  if [ -r "/proc/$1/stat" ]; then
			    state=$(sed -n 's/.*) \\(.\\).*/\\1/p' "/proc/$1/stat" 2>/dev/null)
			    [ -n "$state" ] && [ "$state" != Z ]
			  else
			    kill -0 "$1" 2>/dev/null
			  fi
			}
			while alive "$1" && alive "$2"; do sleep 0.5; done
			if ! alive "$1"; then kill -9 "$2" 2>/dev/null; fi
			""";

	private final String name;

	private final Process process;

	private final Process watchdog;

	private final List<Line> lines = new CopyOnWriteArrayList<>();

	private final Thread reader;

	private LockChild(String name, Process process, Process watchdog, Path log) {
		this.name = name;
		this.process = process;
		this.watchdog = watchdog;
		this.reader = new Thread(() -> read(log), "lock-child-reader-" + name);
		this.reader.setDaemon(true);
		this.reader.start();
	}

	static LockChild start(String name, List<String> args, Path logDirectory) {
		List<String> command = new ArrayList<>();
		command.add(ProcessHandle.current().info().command().orElseThrow());
		command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-Xss512k"));
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(LockChildApplication.class.getName());
		command.addAll(args);
		try {
			Files.createDirectories(logDirectory);
			Path log = logDirectory.resolve(name + ".log");
			Files.deleteIfExists(log);
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			Process watchdog = new ProcessBuilder("sh", "-c", WATCHDOG, "lock-child-watchdog",
					Long.toString(ProcessHandle.current().pid()), Long.toString(process.pid()))
				.redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.redirectError(ProcessBuilder.Redirect.DISCARD)
				.start();
			watchdog.getOutputStream().close();
			return new LockChild(name, process, watchdog, log);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start " + name, ex);
		}
	}

	String name() {
		return this.name;
	}

	boolean isAlive() {
		return this.process.isAlive();
	}

	List<Line> lines(String kind) {
		return this.lines.stream().filter((line) -> line.kind().equals(kind)).toList();
	}

	/**
	 * Send SIGKILL and wait until the process is gone and its output read.
	 */
	void kill() {
		this.process.toHandle().destroyForcibly();
		awaitExit();
	}

	/**
	 * Kill the process and its watchdog; bounded. Used for clean-up, also after a failure.
	 */
	void destroy() {
		if (this.process.isAlive()) {
			this.process.destroyForcibly();
			awaitExit();
		}
		this.watchdog.destroyForcibly();
		try {
			this.watchdog.waitFor(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void awaitExit() {
		try {
			if (this.process.waitFor(10, TimeUnit.SECONDS)) {
				this.reader.join(Duration.ofSeconds(5).toMillis());
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void read(Path log) {
		try (BufferedReader in = new BufferedReader(
				new InputStreamReader(this.process.getInputStream(), StandardCharsets.UTF_8));
				Writer out = Files.newBufferedWriter(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
			String text;
			while ((text = in.readLine()) != null) {
				long now = System.nanoTime();
				out.write(text);
				out.write('\n');
				out.flush();
				String[] words = text.trim().split(" ");
				if (Line.KINDS.contains(words[0])) {
					this.lines.add(new Line(this.name, words[0], List.copyOf(Arrays.asList(words).subList(1, words.length)),
							now));
				}
			}
		}
		catch (IOException ex) {
			// the process is gone
		}
	}

	@Override
	public String toString() {
		return this.name + " (pid " + this.process.pid() + ")";
	}

	/**
	 * One machine-readable line of a child.
	 *
	 * @param child the child's name
	 * @param kind the first word
	 * @param args the other words
	 * @param receivedNanos {@code System.nanoTime()} of the test JVM when the line was read
	 */
	record Line(String child, String kind, List<String> args, long receivedNanos) {

		static final List<String> KINDS = List.of("READY", "INC", "REJECTED", "FAILED", "LOST", "DONE", "HOLDING",
				"WAITING", "ACQUIRED");

		long token() {
			return Long.parseLong(this.args.get(0));
		}

		/**
		 * The instant a {@code HOLDING} or {@code ACQUIRED} line names, on the child's clock.
		 * @return the instant
		 */
		long nanos() {
			return Long.parseLong(this.args.get(1));
		}

	}

}
