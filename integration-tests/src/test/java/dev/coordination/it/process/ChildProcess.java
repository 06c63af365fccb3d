package dev.coordination.it.process;

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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

import dev.coordination.test.Watchdog;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * A process started by a test: a JVM running child application (or any other
 * command), whose stdout is read line by line into {@link ChildLine}s and copied to a log file.
 * <p>
 * Its stdin stays open: the child application exits when it closes, that is when the test JVM is
 * gone. A {@link Watchdog} also kills it with SIGKILL when the test JVM is gone, which covers a
 * child stopped with SIGSTOP at that moment. Thread-safe.
 */
public final class ChildProcess {

	private static final Log logger = LogFactory.getLog(ChildProcess.class);

	private final String name;

	private final Process process;

	private final Watchdog watchdog;

	private final List<ChildLine> lines = new CopyOnWriteArrayList<>();

	private final List<String> output = new CopyOnWriteArrayList<>();

	private final Thread reader;

	private volatile boolean paused;

	private ChildProcess(String name, Process process, Watchdog watchdog, Path log, Consumer<ChildLine> sink) {
		this.name = name;
		this.process = process;
		this.watchdog = watchdog;
		this.reader = new Thread(() -> read(log, sink), "child-reader-" + name);
		this.reader.setDaemon(true);
		this.reader.start();
	}

	/**
	 * Start a JVM with the test classpath running {@code mainClass}.
	 * @param name the child's name, used in lines and the log file name
	 * @param mainClass the main class
	 * @param args the program arguments
	 * @param logDirectory where to write {@code <name>.log} (stdout and stderr)
	 * @param sink receives every machine-readable line, on the reader thread
	 * @return the started child
	 */
	public static ChildProcess startJvm(String name, Class<?> mainClass, List<String> args, Path logDirectory,
			Consumer<ChildLine> sink) {
		List<String> command = new ArrayList<>();
		command.add(ProcessHandle.current().info().command().orElseThrow());
		// a short-lived JVM on 2 cores: start fast rather than peak
		command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-Xss512k"));
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(mainClass.getName());
		command.addAll(args);
		return start(name, command, logDirectory, sink);
	}

	/**
	 * Start a command.
	 * @param name the child's name, used in lines and the log file name
	 * @param command the command
	 * @param logDirectory where to write {@code <name>.log} (stdout and stderr)
	 * @param sink receives every machine-readable line, on the reader thread
	 * @return the started child
	 */
	public static ChildProcess start(String name, List<String> command, Path logDirectory, Consumer<ChildLine> sink) {
		try {
			Files.createDirectories(logDirectory);
			Path log = logDirectory.resolve(name + ".log");
			Files.deleteIfExists(log);
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			Watchdog watchdog = Watchdog.start(process.pid());
			logger.info("Started " + name + " (pid " + process.pid() + "), log " + log.toAbsolutePath());
			return new ChildProcess(name, process, watchdog, log, sink);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start " + name + ": " + command.get(0), ex);
		}
	}

	public String name() {
		return this.name;
	}

	public long pid() {
		return this.process.pid();
	}

	public boolean isAlive() {
		return this.process.isAlive();
	}

	public boolean isPaused() {
		return this.paused;
	}

	/**
	 * The machine-readable lines read so far, in order.
	 * @return the lines
	 */
	public List<ChildLine> lines() {
		return List.copyOf(this.lines);
	}

	/**
	 * Everything the process printed so far, machine-readable or not.
	 * @return the lines of stdout and stderr
	 */
	public List<String> output() {
		return List.copyOf(this.output);
	}

	public List<ChildLine> lines(String kind) {
		return this.lines.stream().filter((line) -> line.kind().equals(kind)).toList();
	}

	public Optional<ChildLine> last(String kind) {
		List<ChildLine> matching = lines(kind);
		return matching.isEmpty() ? Optional.empty() : Optional.of(matching.get(matching.size() - 1));
	}

	public Optional<ChildLine> first(Predicate<ChildLine> predicate) {
		return this.lines.stream().filter(predicate).findFirst();
	}

	/**
	 * Send SIGKILL and wait until the process is gone.
	 */
	public void kill() {
		// through the handle: Process.destroyForcibly() would also close the pipes and lose the last lines
		this.process.toHandle().destroyForcibly();
		awaitExit(Duration.ofSeconds(10));
		this.paused = false;
	}

	/**
	 * Send SIGTERM: the JVM runs its shutdown hooks and Spring closes the context.
	 */
	public void terminate() {
		// through the handle: Process.destroy() would also close the pipes and lose what the child
		// prints while it shuts down, and its closed stdin would make it exit on its own
		this.process.toHandle().destroy();
	}

	/**
	 * Wait for the process to exit and its output to be read.
	 * @param timeout how long at most
	 * @return whether it exited
	 */
	public boolean awaitExit(Duration timeout) {
		try {
			if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				return false;
			}
			// and until every line it printed has been read
			this.reader.join(Duration.ofSeconds(5).toMillis());
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	/**
	 * Freeze the process with SIGSTOP: it keeps its sockets but runs nothing.
	 */
	public void pause() {
		signal("STOP");
		this.paused = true;
	}

	/**
	 * Resume a frozen process with SIGCONT.
	 */
	public void resume() {
		signal("CONT");
		this.paused = false;
	}

	/**
	 * Kill the process (SIGKILL ends a stopped process too) and its watchdog; bounded. Used for
	 * clean-up, also after a failure.
	 */
	public void destroy() {
		if (this.process.isAlive()) {
			this.process.destroyForcibly();
			awaitExit(Duration.ofSeconds(10));
		}
		this.watchdog.awaitExit(Duration.ofSeconds(2));
		try {
			this.reader.join(Duration.ofSeconds(5).toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void signal(String signal) {
		try {
			Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(this.process.pid()))
				.redirectErrorStream(true)
				.start();
			if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
				kill.destroyForcibly();
				throw new IllegalStateException("kill -" + signal + " " + this.process.pid() + " failed");
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while sending SIG" + signal, ex);
		}
	}

	private void read(Path log, Consumer<ChildLine> sink) {
		try (BufferedReader in = new BufferedReader(
				new InputStreamReader(this.process.getInputStream(), StandardCharsets.UTF_8));
				Writer out = Files.newBufferedWriter(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
			String text;
			while ((text = in.readLine()) != null) {
				long now = System.nanoTime();
				out.write(text);
				out.write('\n');
				out.flush();
				this.output.add(text);
				ChildLine line = ChildLine.parse(this.name, text, now);
				if (line != null) {
					this.lines.add(line);
					sink.accept(line);
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

}
