package dev.coordination.it.lock.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The child JVMs of one test, as a JUnit extension on an instance field: every child started
 * through it is killed after the test, also when the test failed, and when the test JVM exits.
 * Logs go to {@code target/lock-process/<test>/<child>.log}.
 */
final class LockChildren implements BeforeEachCallback, AfterEachCallback {

	private static final Log logger = LogFactory.getLog(LockChildren.class);

	private static final Set<LockChild> alive = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime().addShutdownHook(new Thread(() -> alive.forEach(LockChild::destroy), "lock-child-reaper"));
	}

	private final List<LockChild> started = new CopyOnWriteArrayList<>();

	private volatile Path logDirectory = Path.of("target", "lock-process", "unknown");

	@Override
	public void beforeEach(ExtensionContext context) {
		this.logDirectory = Path.of("target", "lock-process",
				context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName());
	}

	@Override
	public void afterEach(ExtensionContext context) {
		this.started.parallelStream().forEach((child) -> {
			child.destroy();
			alive.remove(child);
		});
		if (context.getExecutionException().isPresent()) {
			logger.error("Child logs of the failed test are in " + this.logDirectory.toAbsolutePath());
		}
	}

	/**
	 * Start a {@link LockChildApplication}: session TTL 2 s, safety margin 500 ms, request timeout 1 s.
	 * @param name the child's name and instance id
	 * @param endpoints the etcd endpoints
	 * @param extraArgs more program arguments, {@code --name=value}
	 * @return the child
	 */
	LockChild start(String name, String endpoints, String... extraArgs) {
		List<String> args = new ArrayList<>(List.of("--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--coordination.etcd.endpoints=" + endpoints,
				"--coordination.etcd.session.ttl=2s", "--coordination.etcd.session.safety-margin=500ms",
				"--coordination.etcd.request-timeout=1s", "--coordination.etcd.election.instance-id=" + name));
		args.addAll(List.of(extraArgs));
		LockChild child = LockChild.start(name, args, this.logDirectory);
		this.started.add(child);
		alive.add(child);
		logger.info("Started " + child);
		return child;
	}

	List<LockChild.Line> lines(String kind) {
		return this.started.stream().flatMap((child) -> child.lines(kind).stream()).toList();
	}

}
