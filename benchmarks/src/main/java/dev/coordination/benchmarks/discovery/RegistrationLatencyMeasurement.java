package dev.coordination.benchmarks.discovery;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.coordination.benchmarks.BenchmarkClients;
import dev.coordination.benchmarks.LatencyRows;
import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceAddedEvent;
import dev.coordination.discovery.InstanceRemovedEvent;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.options.DeleteOption;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * How long a registration takes to show in another application's catalog: starts its own etcd and,
 * in this JVM, the starter's discovery context as the observer
 * ({@code coordination.etcd.discovery.register=false}), then {@code runs} times writes a valid
 * record of service {@value #SERVICE} at {@code /services/lat/i-<n>} through a plain jetcd client,
 * as a registering instance does, and waits until the catalog's {@link DiscoveryListener#added}
 * reports it; then deletes it, as a graceful stop does, and waits for
 * {@link DiscoveryListener#removed}. One registration at a time. Every instant is
 * {@code System.nanoTime()} of this JVM, taken just before the put or delete is sent and in the
 * listener, which runs on the catalog's watch thread. Prints min, median, p99 and max, also of
 * the write's own round trip for comparison. Every wait is bounded; the context, the client and
 * etcd are closed at the end, also on failure.
 * <p>
 * Arguments: {@code --runs=200 --warmup=50} (warm-up runs are not counted).
 */
public final class RegistrationLatencyMeasurement {

	static final String SERVICE = "lat";

	private static final String PREFIX = "/services/" + SERVICE + "/";

	private static final long TIMEOUT_SECONDS = BenchmarkClients.TIMEOUT_SECONDS;

	private static final int LABEL_WIDTH = 28;

	private RegistrationLatencyMeasurement() {
	}

	public static void main(String[] args) {
		int runs = LatencyRows.intArg(args, "runs", 200);
		int warmup = LatencyRows.intArg(args, "warmup", 50);
		int status = 0;
		try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build());
				Client client = etcd.newClient();
				ConfigurableApplicationContext context = DiscoveryBenchmark.startContext(etcd.endpointsAsString(),
						Map.of("logging.level.dev.coordination", "warn"))) {
			ServiceDiscovery catalog = context.getBean(ServiceDiscovery.class);
			Arrivals arrivals = new Arrivals();
			catalog.addListener(arrivals);
			KV kv = client.getKVClient();
			kv.delete(EtcdKeys.bytes(PREFIX), DeleteOption.builder().isPrefix(true).build())
				.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
			long[] putAcked = new long[runs];
			long[] added = new long[runs];
			long[] deleteAcked = new long[runs];
			long[] removed = new long[runs];
			for (int n = 0; n < warmup + runs; n++) {
				String instanceId = "i-" + n;
				ByteSequence key = EtcdKeys.bytes(PREFIX + instanceId);
				ByteSequence value = EtcdKeys.bytes(DiscoveryBenchmark.recordJson(SERVICE, instanceId, 8080, "1.0.0"));
				CompletableFuture<Long> seen = arrivals.whenAdded(instanceId);
				long putAt = System.nanoTime();
				kv.put(key, value).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
				long putAckedAt = System.nanoTime();
				long addedAt = seen.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
				CompletableFuture<Long> gone = arrivals.whenRemoved(instanceId);
				long deleteAt = System.nanoTime();
				kv.delete(key).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
				long deleteAckedAt = System.nanoTime();
				long removedAt = gone.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
				if (n >= warmup) {
					int i = n - warmup;
					putAcked[i] = putAckedAt - putAt;
					added[i] = addedAt - putAt;
					deleteAcked[i] = deleteAckedAt - deleteAt;
					removed[i] = removedAt - deleteAt;
				}
			}
			if (!catalog.instances(SERVICE).isEmpty()) {
				throw new IllegalStateException("Left in the catalog: " + catalog.instances(SERVICE));
			}
			StringBuilder report = new StringBuilder();
			report.append(String.format(Locale.ROOT,
					"%d registrations of service '%s' one at a time (after %d warm-up), observed by the starter's "
							+ "catalog in the same JVM, against %s%n",
					runs, SERVICE, warmup, etcd.description()));
			report.append(LatencyRows.header(LABEL_WIDTH, "from the write until", "runs"));
			report.append(LatencyRows.row(LABEL_WIDTH, "put acknowledged", putAcked));
			report.append(LatencyRows.row(LABEL_WIDTH, "catalog added (listener)", added));
			report.append(LatencyRows.row(LABEL_WIDTH, "delete acknowledged", deleteAcked));
			report.append(LatencyRows.row(LABEL_WIDTH, "catalog removed (listener)", removed));
			System.out.print(report);
		}
		catch (Exception ex) {
			ex.printStackTrace();
			status = 1;
		}
		// gRPC and etcd watchdog threads must not keep the JVM alive
		System.exit(status);
	}

	/**
	 * When the catalog reported each instance of {@value #SERVICE} added and removed.
	 */
	private static final class Arrivals implements DiscoveryListener {

		private final Map<String, CompletableFuture<Long>> added = new ConcurrentHashMap<>();

		private final Map<String, CompletableFuture<Long>> removed = new ConcurrentHashMap<>();

		CompletableFuture<Long> whenAdded(String instanceId) {
			return this.added.computeIfAbsent(instanceId, (id) -> new CompletableFuture<>());
		}

		CompletableFuture<Long> whenRemoved(String instanceId) {
			return this.removed.computeIfAbsent(instanceId, (id) -> new CompletableFuture<>());
		}

		@Override
		public void added(InstanceAddedEvent event) {
			long now = System.nanoTime();
			ServiceRecord instance = event.getInstance();
			if (SERVICE.equals(instance.serviceId())) {
				whenAdded(instance.instanceId()).complete(now);
			}
		}

		@Override
		public void removed(InstanceRemovedEvent event) {
			long now = System.nanoTime();
			ServiceRecord instance = event.getInstance();
			if (SERVICE.equals(instance.serviceId())) {
				whenRemoved(instance.instanceId()).complete(now);
			}
		}

	}

}
