package dev.coordination.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * An etcd cluster whose members are child processes of this JVM, started from a local etcd binary.
 * <p>
 * Every member listens on free loopback ports (client, peer and metrics) and keeps its data directory
 * and log file under one temporary root ({@code coordination-etcd-*}). Start-up waits (at most 30 s)
 * until every member reports itself healthy on its metrics URL, and is retried with new ports (three
 * attempts in all) when a port was taken in the meantime. {@link #close()} kills every process and
 * deletes the root; a shutdown hook closes a cluster left open, and a {@link Watchdog} per process
 * kills etcd and deletes the root when the JVM is killed. Thread-safe.
 */
final class LocalEtcdCluster extends AbstractEtcdCluster {

	private static final Log logger = LogFactory.getLog(LocalEtcdCluster.class);

	static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

	/**
	 * {@code setsid}, where there is one: etcd then runs in its own session, so a Ctrl+C in the
	 * terminal reaches the application, which can leave its elections and revoke its lease against a
	 * live etcd before closing it. setsid forks only for a process-group leader, which a child of the
	 * JVM is not, so it execs etcd under the pid that pause and kill signal. The watchdog still kills
	 * etcd when the JVM dies.
	 */
	private static final List<String> OWN_SESSION = Stream.of("/usr/bin/setsid", "/bin/setsid")
		.filter((candidate) -> Files.isExecutable(Path.of(candidate)))
		.findFirst()
		.map(List::of)
		.orElse(List.of());

	private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

	private static final Duration WATCHDOG_EXIT_TIMEOUT = Duration.ofSeconds(3);

	private static final int START_ATTEMPTS = 3;

	private static final String PORT_TAKEN = "address already in use";

	private static final Pattern VERSION = Pattern.compile("etcd Version: (\\S+)");

	private static final Map<Path, String> versions = new ConcurrentHashMap<>();

	/**
	 * Environment variable naming the directory that members' data directories are created in.
	 */
	static final String DATA_ROOT_ENV = "ETCD_DATA_ROOT";

	private static final Path SHARED_MEMORY = Path.of("/dev/shm");

	// a member preallocates a 64 MiB write-ahead log: a few clusters at once must fit
	private static final long SHARED_MEMORY_NEEDED = 1L << 30;

	private final Path binary;

	private final String version;

	private final boolean tls;

	private final Path root;

	private final List<LocalMember> members;

	private final List<EtcdMember> memberView;

	private LocalEtcdCluster(Path binary, String version, EtcdSpec spec, IntFunction<int[]> portAllocator) {
		this.binary = binary;
		this.version = version;
		this.tls = spec.tls() != null;
		try {
			this.root = Files.createTempDirectory(dataRoot(System.getenv(DATA_ROOT_ENV)), "coordination-etcd-");
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot create a temporary directory for etcd", ex);
		}
		int size = spec.members();
		int[] ports = portAllocator.apply(3 * size);
		String initialCluster = IntStream.range(0, size)
			.mapToObj((i) -> "m" + i + "=http://127.0.0.1:" + ports[3 * i + 1])
			.collect(Collectors.joining(","));
		String token = "coordination-" + UUID.randomUUID();
		List<LocalMember> members = new ArrayList<>(size);
		for (int i = 0; i < size; i++) {
			members.add(new LocalMember("m" + i, ports[3 * i], ports[3 * i + 1], ports[3 * i + 2], initialCluster,
					token, spec));
		}
		this.members = List.copyOf(members);
		this.memberView = List.copyOf(members);
	}

	/**
	 * Where members keep their data: {@code ETCD_DATA_ROOT} when set, else {@code /dev/shm} when it
	 * has room, because fsync costs nothing there and tests and benchmarks do not wait for the disk,
	 * else the temporary directory.
	 * @param configured the value of {@code ETCD_DATA_ROOT}, or {@code null}
	 * @return the directory
	 */
	static Path dataRoot(String configured) {
		if (configured != null && !configured.isBlank()) {
			return Path.of(configured);
		}
		try {
			if (Files.isDirectory(SHARED_MEMORY) && Files.isWritable(SHARED_MEMORY)
					&& Files.getFileStore(SHARED_MEMORY).getUsableSpace() >= SHARED_MEMORY_NEEDED) {
				return SHARED_MEMORY;
			}
		}
		catch (IOException ex) {
			// fall back to the temporary directory
		}
		return Path.of(System.getProperty("java.io.tmpdir"));
	}

	/**
	 * Start a cluster and wait until every member is healthy.
	 * @param binary the etcd binary
	 * @param spec what is needed
	 * @return the healthy cluster
	 * @throws IllegalStateException if it does not start, with the members' log tails
	 */
	static LocalEtcdCluster start(Path binary, EtcdSpec spec) {
		return start(binary, spec, EtcdSupport::freePorts);
	}

	/**
	 * Start a cluster on ports from the given allocator, which is asked again on every attempt.
	 * @param binary the etcd binary
	 * @param spec what is needed
	 * @param portAllocator gives the given number of distinct free ports
	 * @return the healthy cluster
	 */
	static LocalEtcdCluster start(Path binary, EtcdSpec spec, IntFunction<int[]> portAllocator) {
		String version = versions.computeIfAbsent(binary, LocalEtcdCluster::readVersion);
		for (int attempt = 1;; attempt++) {
			LocalEtcdCluster cluster = new LocalEtcdCluster(binary, version, spec, portAllocator);
			if (!spec.closedByOwner()) {
				OpenClusters.add(cluster);
			}
			try {
				cluster.launch();
				logger.debug("Started " + cluster);
				return cluster;
			}
			catch (PortTakenException ex) {
				cluster.close();
				if (attempt >= START_ATTEMPTS) {
					throw new IllegalStateException(
							"etcd could not bind its ports in " + START_ATTEMPTS + " attempts: " + ex.getMessage(), ex);
				}
				logger.debug("A port was taken while starting " + cluster.description() + ", retrying with new ports");
			}
			catch (RuntimeException | Error ex) {
				cluster.close();
				throw ex;
			}
		}
	}

	private void launch() {
		for (LocalMember member : this.members) {
			member.launch();
		}
		boolean healthy = EtcdSupport.pollUntil(STARTUP_TIMEOUT, () -> {
			for (LocalMember member : this.members) {
				if (!member.isRunning()) {
					throw startupFailure(member);
				}
			}
			return this.members.stream().allMatch(this::isHealthy);
		});
		if (!healthy) {
			throw new IllegalStateException(
					"etcd did not become healthy within " + STARTUP_TIMEOUT + ": " + description() + logTails());
		}
	}

	private RuntimeException startupFailure(LocalMember member) {
		String log = member.logTail(Integer.MAX_VALUE);
		String message = "etcd member " + member.name() + " of " + description() + " exited with code "
				+ member.exitCode() + " while starting:\n" + member.logTail(40);
		return log.contains(PORT_TAKEN) ? new PortTakenException(message) : new IllegalStateException(message);
	}

	@Override
	public List<EtcdMember> members() {
		return this.memberView;
	}

	@Override
	public String description() {
		return "local etcd " + this.version + " (" + this.binary + "), " + this.members.size()
				+ ((this.members.size() == 1) ? " member" : " members");
	}

	@Override
	boolean isHealthy(EtcdMember member) {
		return EtcdSupport.isHealthy(((LocalMember) member).metricsUrl("/health"));
	}

	@Override
	boolean isTls() {
		return this.tls;
	}

	/**
	 * The temporary root holding the members' data directories and logs.
	 * @return the root directory
	 */
	Path root() {
		return this.root;
	}

	@Override
	void doClose() {
		for (LocalMember member : this.members) {
			member.destroy();
		}
		for (LocalMember member : this.members) {
			member.awaitWatchdogs();
		}
		try {
			EtcdSupport.deleteRecursively(this.root);
		}
		catch (UncheckedIOException ex) {
			logger.warn("Cannot delete " + this.root, ex);
		}
	}

	private static String readVersion(Path binary) {
		ProcessBuilder builder = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true);
		try {
			Process process = builder.start();
			process.getOutputStream().close();
			if (!EtcdSupport.waitFor(process, Duration.ofSeconds(10))) {
				process.destroyForcibly();
				return "(unknown version)";
			}
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			Matcher matcher = VERSION.matcher(output);
			return matcher.find() ? matcher.group(1) : "(unknown version)";
		}
		catch (IOException ex) {
			throw new IllegalStateException("Cannot run " + binary + " --version: " + ex.getMessage(), ex);
		}
	}

	/**
	 * A member running as a child process, restarted on the same data directory and ports.
	 */
	final class LocalMember extends LaunchedMember {

		private final String name;

		private final List<String> command;

		private final Path logFile;

		private final URI clientEndpoint;

		private final int metricsPort;

		private final List<Watchdog> watchdogs = new ArrayList<>();

		private volatile Process process;

		private volatile boolean paused;

		LocalMember(String name, int clientPort, int peerPort, int metricsPort, String initialCluster, String token,
				EtcdSpec spec) {
			super(STARTUP_TIMEOUT);
			this.name = name;
			this.metricsPort = metricsPort;
			this.logFile = LocalEtcdCluster.this.root.resolve(name + ".log");
			EtcdSpec.Tls tls = spec.tls();
			String clientUrl = ((tls != null) ? "https" : "http") + "://127.0.0.1:" + clientPort;
			String peerUrl = "http://127.0.0.1:" + peerPort;
			this.clientEndpoint = URI.create(clientUrl);
			List<String> command = new ArrayList<>(List.of(LocalEtcdCluster.this.binary.toString(), "--name", name,
					"--data-dir", LocalEtcdCluster.this.root.resolve(name + ".etcd").toString(),
					"--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl, "--listen-peer-urls",
					peerUrl, "--initial-advertise-peer-urls", peerUrl, "--listen-metrics-urls",
					"http://127.0.0.1:" + metricsPort, "--initial-cluster", initialCluster, "--initial-cluster-token",
					token, "--initial-cluster-state", "new"));
			if (tls != null) {
				command.addAll(List.of("--cert-file", tls.certFile().toAbsolutePath().toString(), "--key-file",
						tls.keyFile().toAbsolutePath().toString()));
				if (tls.trustedCaFile() != null) {
					command.addAll(List.of("--trusted-ca-file", tls.trustedCaFile().toAbsolutePath().toString()));
				}
				if (tls.clientCertAuth()) {
					command.add("--client-cert-auth");
				}
			}
			command.addAll(spec.args());
			this.command = List.copyOf(command);
		}

		@Override
		URI metricsUrl(String path) {
			return URI.create("http://127.0.0.1:" + this.metricsPort + path);
		}

		@Override
		synchronized void launch() {
			List<String> command = new ArrayList<>(OWN_SESSION);
			command.addAll(this.command);
			ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.appendTo(this.logFile.toFile()));
			// etcd reads ETCD_<FLAG> variables: keep ours (ETCD_ENDPOINTS, ETCD_BINARY) and the user's away
			builder.environment()
				.keySet()
				.removeIf((key) -> key.startsWith("ETCD_") && !key.equals("ETCD_UNSUPPORTED_ARCH"));
			try {
				Files.writeString(this.logFile,
						"=== " + Instant.now() + " starting " + String.join(" ", this.command) + "\n",
						StandardOpenOption.CREATE, StandardOpenOption.APPEND);
				Process process = builder.start();
				process.getOutputStream().close();
				this.process = process;
				this.paused = false;
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot start " + this.command.get(0), ex);
			}
			this.watchdogs.removeIf((watchdog) -> !watchdog.isAlive());
			try {
				this.watchdogs.add(Watchdog.start(this.process.pid(), LocalEtcdCluster.this.root));
			}
			catch (RuntimeException ex) {
				this.process.destroyForcibly();
				throw ex;
			}
		}

		@Override
		public String name() {
			return this.name;
		}

		@Override
		public URI clientEndpoint() {
			return this.clientEndpoint;
		}

		@Override
		public boolean isRunning() {
			Process process = this.process;
			return process != null && process.isAlive();
		}

		@Override
		public boolean isPaused() {
			return this.paused && isRunning();
		}

		@Override
		public long pid() {
			Process process = this.process;
			return (process != null) ? process.pid() : -1;
		}

		@Override
		String exitDescription() {
			return "exited with code " + exitCode();
		}

		String exitCode() {
			Process process = this.process;
			return (process != null && !process.isAlive()) ? Integer.toString(process.exitValue()) : "(running)";
		}

		@Override
		public synchronized void stop() {
			Process process = this.process;
			if (process == null || !process.isAlive()) {
				return;
			}
			if (this.paused) {
				signal("CONT");
				this.paused = false;
			}
			process.destroy();
			if (!EtcdSupport.waitFor(process, STOP_TIMEOUT)) {
				process.destroyForcibly();
				awaitExit(process);
			}
		}

		@Override
		public synchronized void kill() {
			Process process = this.process;
			if (process == null || !process.isAlive()) {
				return;
			}
			process.destroyForcibly();
			this.paused = false;
			awaitExit(process);
		}

		private void awaitExit(Process process) {
			if (!EtcdSupport.waitFor(process, STOP_TIMEOUT)) {
				throw new IllegalStateException("etcd member " + this.name + " (pid " + process.pid()
						+ ") did not exit within " + STOP_TIMEOUT + " after SIGKILL");
			}
		}

		@Override
		public synchronized void pause() {
			if (!isRunning()) {
				throw new IllegalStateException("etcd member " + this.name + " is not running");
			}
			if (!this.paused) {
				signal("STOP");
				this.paused = true;
			}
		}

		@Override
		public synchronized void resume() {
			if (this.paused && isRunning()) {
				signal("CONT");
			}
			this.paused = false;
		}

		private void signal(String signal) {
			long pid = this.process.pid();
			ProcessBuilder builder = new ProcessBuilder("sh", "-c", "kill -" + signal + " " + pid)
				.redirectErrorStream(true);
			try {
				Process kill = builder.start();
				kill.getOutputStream().close();
				if (!EtcdSupport.waitFor(kill, Duration.ofSeconds(5)) || kill.exitValue() != 0) {
					String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
					throw new IllegalStateException("kill -" + signal + " " + pid + " failed: " + output.trim());
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot run kill -" + signal + " " + pid, ex);
			}
		}

		@Override
		public String logTail(int lines) {
			return EtcdSupport.tail(this.logFile, lines);
		}

		synchronized void destroy() {
			Process process = this.process;
			if (process != null && process.isAlive()) {
				process.destroyForcibly();
				if (!EtcdSupport.waitFor(process, STOP_TIMEOUT)) {
					logger.warn("etcd member " + this.name + " (pid " + process.pid() + ") survived SIGKILL");
				}
			}
			this.paused = false;
		}

		synchronized void awaitWatchdogs() {
			for (Watchdog watchdog : this.watchdogs) {
				watchdog.awaitExit(WATCHDOG_EXIT_TIMEOUT);
			}
			this.watchdogs.clear();
		}

		@Override
		public String toString() {
			return this.name + " " + this.clientEndpoint + " (pid " + pid() + ")";
		}

	}

	/**
	 * A member exited while starting because one of its ports was taken.
	 */
	private static final class PortTakenException extends RuntimeException {

		PortTakenException(String message) {
			super(message);
		}

	}

}
