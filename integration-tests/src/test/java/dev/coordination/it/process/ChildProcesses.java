package dev.coordination.it.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.awaitility.Awaitility.await;

/**
 * The child processes of one test, as a JUnit extension on an instance field: every child started
 * through it is killed after the test, also when the test failed, and when the test JVM exits
 * (shutdown hook). Records the machine-readable lines of all children in the order they were read.
 * Logs go to {@code target/election-process/<test>/<child>.log}.
 */
public final class ChildProcesses implements BeforeEachCallback, AfterEachCallback {

	private static final Log logger = LogFactory.getLog(ChildProcesses.class);

	private static final Set<ChildProcess> alive = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime().addShutdownHook(new Thread(() -> alive.forEach(ChildProcess::destroy), "child-reaper"));
	}

	private final List<ChildProcess> started = new CopyOnWriteArrayList<>();

	private final List<ChildLine> timeline = new CopyOnWriteArrayList<>();

	private volatile Path logDirectory = Path.of("target", "election-process", "unknown");

	@Override
	public void beforeEach(ExtensionContext context) {
		this.logDirectory = Path.of("target", "election-process",
				context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName());
	}

	@Override
	public void afterEach(ExtensionContext context) {
		destroyAll();
		if (context.getExecutionException().isPresent()) {
			logger.error("Child logs of the failed test are in " + this.logDirectory.toAbsolutePath());
		}
	}

	/**
	 * Start a Spring Boot child application, non-web, on the given etcd with a 2 s session TTL.
	 * @param name the instance id and the name of the child
	 * @param mainClass the application's main class
	 * @param endpoints the etcd endpoints
	 * @param extraArgs more program arguments, {@code --name=value}
	 * @return the child
	 */
	public ChildProcess startJvm(String name, Class<?> mainClass, String endpoints, String... extraArgs) {
		List<String> args = new ArrayList<>(List.of("--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--coordination.etcd.endpoints=" + endpoints,
				"--coordination.etcd.session.ttl=2s", "--coordination.etcd.session.safety-margin=500ms",
				"--coordination.etcd.request-timeout=1s", "--coordination.etcd.instance.id=" + name));
		args.addAll(List.of(extraArgs));
		return register(ChildProcess.startJvm(name, mainClass, args, this.logDirectory, this::record));
	}

	/**
	 * Start another command, such as {@code etcdctl}.
	 * @param name the name of the child
	 * @param command the command
	 * @return the child
	 */
	public ChildProcess startCommand(String name, List<String> command) {
		return register(ChildProcess.start(name, command, this.logDirectory, this::record));
	}

	/**
	 * Machine-readable lines of every child, in the order they were read.
	 * @return the lines
	 */
	public List<ChildLine> timeline() {
		return List.copyOf(this.timeline);
	}

	public List<ChildLine> lines(String kind) {
		return this.timeline.stream().filter((line) -> line.kind().equals(kind)).toList();
	}

	/**
	 * Wait for a line.
	 * @param predicate what the line must match
	 * @param atMost how long at most
	 * @return the first matching line
	 */
	public ChildLine awaitLine(Predicate<ChildLine> predicate, Duration atMost) {
		return await().atMost(atMost)
			.pollInterval(Duration.ofMillis(10))
			.until(() -> this.timeline.stream().filter(predicate).findFirst(), java.util.Optional::isPresent)
			.get();
	}

	/**
	 * Kill every child of this test.
	 */
	public void destroyAll() {
		this.started.parallelStream().forEach((child) -> {
			child.destroy();
			alive.remove(child);
		});
	}

	private ChildProcess register(ChildProcess child) {
		this.started.add(child);
		alive.add(child);
		return child;
	}

	private void record(ChildLine line) {
		this.timeline.add(line);
		if (!line.kind().equals("FENCED-OK")) {
			logger.info(line);
		}
	}

}
