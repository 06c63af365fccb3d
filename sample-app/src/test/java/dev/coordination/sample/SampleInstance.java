package dev.coordination.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.coordination.test.Watchdog;

import org.springframework.web.client.RestClient;

/**
 * The sample application as a separate JVM on its own port, its output in
 * {@code target/sample-instances/{name}.log}. A {@link Watchdog} kills it when the test JVM is gone.
 */
final class SampleInstance {

	private final String name;

	private final int port;

	private final Process process;

	private final Watchdog watchdog;

	private final Path log;

	private SampleInstance(String name, int port, Process process, Path log) {
		this.name = name;
		this.port = port;
		this.process = process;
		this.watchdog = Watchdog.start(process.pid());
		this.log = log;
	}

	static SampleInstance start(String name, String endpoints, String... extraArgs) {
		int port = freePort();
		List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
				"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
				SampleApplication.class.getName(), "--server.port=" + port, "--spring.main.banner-mode=off",
				"--coordination.etcd.endpoints=" + endpoints, "--coordination.etcd.session.ttl=2s",
				"--coordination.etcd.session.safety-margin=500ms", "--coordination.etcd.instance.id=" + name,
				"--sample.leader-job.interval=1s"));
		command.addAll(List.of(extraArgs));
		try {
			Path directory = Files.createDirectories(Path.of("target", "sample-instances"));
			Path log = directory.resolve(name + ".log");
			Process process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(log.toFile())
				.start();
			return new SampleInstance(name, port, process, log);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start " + name, ex);
		}
	}

	String name() {
		return this.name;
	}

	int port() {
		return this.port;
	}

	boolean isAlive() {
		return this.process.isAlive();
	}

	RestClient rest() {
		return RestClient.create("http://127.0.0.1:" + this.port);
	}

	String get(String path) {
		return rest().get().uri(path).retrieve().body(String.class);
	}

	String log() {
		try {
			return Files.readString(this.log);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Stop it as Ctrl+C or a service manager does (SIGTERM), and wait for it to exit.
	 * @return its exit code
	 */
	int terminate(Duration timeout) throws InterruptedException {
		this.process.destroy();
		if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
			throw new IllegalStateException(this.name + " did not exit within " + timeout + "; see " + this.log);
		}
		return this.process.exitValue();
	}

	void destroy() {
		if (this.process.isAlive()) {
			this.process.destroyForcibly();
			try {
				this.process.waitFor(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		this.watchdog.awaitExit(Duration.ofSeconds(2));
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@Override
	public String toString() {
		return this.name + " on port " + this.port;
	}

}
