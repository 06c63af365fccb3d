package dev.coordination.it.discovery.process;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceRemovedEvent;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.DiscoveryMetrics;
import dev.coordination.discovery.internal.EtcdServiceCatalog;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.it.process.ChildLine;
import dev.coordination.it.process.ChildProcess;
import dev.coordination.it.process.ChildProcesses;
import dev.coordination.it.process.LeftoverKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Client;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Service discovery among application instances that are separate JVMs
 * ({@link DiscoveryChildApplication}, two instances {@code a} and {@code b} of service
 * {@value #SERVICE}), against a real etcd. The test JVM observes them through an
 * {@link EtcdServiceCatalog} of its own (it does not register), and records when each instance
 * was added and removed ({@code System.nanoTime()}, one monotonic clock for all processes of a Linux
 * host). Each child also reports what its own discovery sees ({@code PEERS}), so the tests show that
 * two separate applications find each other. Session TTL 2 s, safety margin 500 ms, request timeout
 * 1 s.
 */
class DiscoveryProcessIT {

	private static final Log logger = LogFactory.getLog(DiscoveryProcessIT.class);

	private static final String SERVICE = "orders";

	private static final String PREFIX = "/services";

	private static final Duration TTL = Duration.ofSeconds(2);

	private static final Duration STARTUP = Duration.ofSeconds(30);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	@RegisterExtension
	final ChildProcesses children = new ChildProcesses();

	private Client observerClient;

	private EtcdServiceCatalog observer;

	private final Events events = new Events();

	@BeforeEach
	void startFromAnEmptyCatalogWithAnObserver() throws Exception {
		// keys of an earlier test's killed children live on until their lease expires
		LeftoverKeys.remove(etcd.client(), PREFIX + "/");
		this.observerClient = etcd.cluster().newClient();
		this.observer = new EtcdServiceCatalog(new EtcdTemplate(this.observerClient, Duration.ofSeconds(1)), PREFIX,
				DiscoveryMetrics.NONE, new CoordinationEvents(null), RetryPolicy.DEFAULT, WatchProgress.off());
		this.observer.addListener(this.events);
		this.observer.start();
		assertThat(this.observer.services()).as("services in the catalog before the test").isEmpty();
	}

	@AfterEach
	void stopObserver() {
		if (this.observer != null) {
			this.observer.stop();
		}
		if (this.observerClient != null) {
			this.observerClient.close();
		}
	}

	@Test
	void killedInstanceLeavesTheCatalogOnceItsLeaseExpiresAndTheOtherStays() {
		List<ChildProcess> ab = startBothAndAwaitTheyDiscoverEachOther();
		ChildProcess a = ab.get(0);
		ChildProcess b = ab.get(1);

		long killedAt = System.nanoTime();
		b.kill();
		long removedAt = awaitRemoved("b", TTL.plusSeconds(3));

		Duration gone = Duration.ofNanos(removedAt - killedAt);
		logger.info("b left the observer's catalog " + gone.toMillis() + " ms after it was sent SIGKILL");
		assertThat(gone).as("time from SIGKILL of b until the observer's catalog dropped it (TTL %s)", TTL).isPositive();
		assertSurvivorStays(a);
	}

	@Test
	void gracefullyStoppedInstanceDeregistersWithoutWaitingForItsLeaseAndTheOtherStays() throws Exception {
		List<ChildProcess> ab = startBothAndAwaitTheyDiscoverEachOther();
		ChildProcess a = ab.get(0);
		ChildProcess b = ab.get(1);
		CompletableFuture<Long> exitedAt = ProcessHandle.of(b.pid())
			.orElseThrow()
			.onExit()
			.thenApply((handle) -> System.nanoTime());

		long stoppedAt = System.nanoTime();
		b.terminate();
		assertThat(b.awaitExit(Duration.ofSeconds(10))).as("%s exits within 10 s of SIGTERM", b).isTrue();
		long exited = exitedAt.get(5, TimeUnit.SECONDS);
		long removedAt = awaitRemoved("b", Duration.ofSeconds(5));

		// both durations are measured from the SIGTERM; the latency itself is measured by
		// RegistrationLatencyMeasurement in benchmarks
		Duration exit = Duration.ofNanos(exited - stoppedAt);
		Duration gone = Duration.ofNanos(removedAt - stoppedAt);
		logger.info("After SIGTERM of b: the observer's catalog dropped it after " + gone.toMillis()
				+ " ms, the process exited after " + exit.toMillis() + " ms");
		assertThat(b.lines("CLOSING")).as("b closed its Spring context (graceful stop)").hasSize(1);
		// b deregistered itself: its record did not wait for its lease to expire
		assertThat(gone).as("time from SIGTERM of b until the observer's catalog dropped it; b exited %d ms after"
				+ " the SIGTERM", exit.toMillis())
			.isPositive()
			.isLessThan(TTL);
		assertSurvivorStays(a);
	}

	/**
	 * Start {@code a} and {@code b} together and wait until the observer lists both and each child's
	 * own discovery lists both.
	 */
	private List<ChildProcess> startBothAndAwaitTheyDiscoverEachOther() {
		ChildProcess a = startChild("a", 18081);
		ChildProcess b = startChild("b", 18082);
		for (ChildProcess child : List.of(a, b)) {
			await().atMost(STARTUP)
				.pollInterval(Duration.ofMillis(20))
				.until(() -> !child.lines("READY").isEmpty() || !child.isAlive());
			assertThat(child.isAlive()).as("%s is alive", child).isTrue();
			assertThat(child.lines("READY").get(0).args()).as("READY line of %s", child)
				.containsExactly(child.name(), Long.toString(child.pid()), "registered");
		}
		await().atMost(Duration.ofSeconds(5))
			.pollInterval(Duration.ofMillis(10))
			.untilAsserted(() -> assertThat(this.observer.instances(SERVICE))
				.as("instances of %s in the observer's catalog", SERVICE)
				.extracting(ServiceRecord::instanceId)
				.containsExactly("a", "b"));
		assertThat(this.observer.instances(SERVICE)).extracting((record) -> record.uri().toString())
			.containsExactly("http://127.0.0.1:18081", "http://127.0.0.1:18082");
		// two separate applications see each other through their own ServiceDiscovery
		for (ChildProcess child : List.of(a, b)) {
			await().atMost(Duration.ofSeconds(5))
				.pollInterval(Duration.ofMillis(10))
				.untilAsserted(() -> assertThat(child.last("PEERS")).as("last PEERS line of %s", child)
					.map((line) -> line.args().get(0))
					.hasValue("a,b"));
		}
		return List.of(a, b);
	}

	private ChildProcess startChild(String name, int port) {
		return this.children.startJvm(name, DiscoveryChildApplication.class, etcd.endpointsAsString(),
				"--spring.application.name=" + SERVICE, "--coordination.etcd.instance.port=" + port,
				"--coordination.etcd.instance.host=127.0.0.1");
	}

	private long awaitRemoved(String instanceId, Duration atMost) {
		return await().atMost(atMost)
			.pollInterval(Duration.ofMillis(10))
			.until(() -> this.events.removedAt(instanceId), Optional::isPresent)
			.get();
	}

	/**
	 * {@code a} stayed registered all along: in the observer's catalog, never removed, and its own
	 * discovery now lists only itself.
	 */
	private void assertSurvivorStays(ChildProcess a) {
		assertThat(this.observer.instances(SERVICE)).as("instances of %s in the observer's catalog", SERVICE)
			.extracting(ServiceRecord::instanceId)
			.containsExactly("a");
		assertThat(this.events.removedAt("a")).as("removal of a from the observer's catalog").isEmpty();
		assertThat(a.isAlive()).as("%s is alive", a).isTrue();
		ChildLine peers = await().atMost(Duration.ofSeconds(2))
			.pollInterval(Duration.ofMillis(10))
			.until(() -> a.last("PEERS"), (line) -> line.isPresent() && line.get().args().get(0).equals("a"))
			.get();
		assertThat(peers.args()).as("what a's own discovery lists after b left").containsExactly("a");
	}

	/**
	 * When each instance was first removed from the observer's catalog, by instance id.
	 */
	private static final class Events implements DiscoveryListener {

		private final Map<String, Long> removed = new ConcurrentHashMap<>();

		@Override
		public void removed(InstanceRemovedEvent event) {
			this.removed.putIfAbsent(event.getInstance().instanceId(), System.nanoTime());
		}

		Optional<Long> removedAt(String instanceId) {
			return Optional.ofNullable(this.removed.get(instanceId));
		}

	}

}
