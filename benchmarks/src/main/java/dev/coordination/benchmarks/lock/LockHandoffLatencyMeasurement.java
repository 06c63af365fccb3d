package dev.coordination.benchmarks.lock;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * The latency of a cross-instance hand-off: instance A holds lock {@code handoff}, instance B waits
 * for it; from the moment A calls {@code unlock()} until B holds. Against the floor of the same
 * run: one etcd put until a watcher on another client receives its event. Prints the p50, the p99
 * and the three slowest hand-offs. Starts its own etcd; two application contexts in this JVM, each
 * with its own client and session.
 * <p>
 * Arguments: {@code --rounds=200}.
 */
public final class LockHandoffLatencyMeasurement {

	private LockHandoffLatencyMeasurement() {
	}

	public static void main(String[] args) throws Exception {
		int rounds = Arrays.stream(args)
			.filter((arg) -> arg.startsWith("--rounds="))
			.map((arg) -> Integer.parseInt(arg.substring("--rounds=".length())))
			.findFirst()
			.orElse(200);
		// a lock belongs to the thread that took it: one thread per instance
		ExecutorService onInstanceA = Executors.newSingleThreadExecutor();
		ExecutorService onInstanceB = Executors.newSingleThreadExecutor();
		try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build());
				Client writer = Client.builder().endpoints(etcd.endpointsAsString().split(",")).build();
				Client watcher = Client.builder().endpoints(etcd.endpointsAsString().split(",")).build();
				ConfigurableApplicationContext a = LockContexts.start(etcd.endpointsAsString(), Map.of());
				ConfigurableApplicationContext b = LockContexts.start(etcd.endpointsAsString(), Map.of())) {
			long[] floor = floor(writer, watcher, rounds);
			DistributedLock onA = a.getBean(DistributedLockRegistry.class).obtain("handoff");
			DistributedLock onB = b.getBean(DistributedLockRegistry.class).obtain("handoff");
			long[] handoffs = new long[rounds + 20];
			for (int round = 0; round < handoffs.length; round++) {
				// A takes the lock, B queues behind it (its key is in etcd), then A lets go
				onInstanceA.submit(() -> {
					onA.lock();
					return null;
				}).get(10, TimeUnit.SECONDS);
				CountDownLatch queued = new CountDownLatch(1);
				Future<Long> held = onInstanceB.submit(() -> {
					queued.countDown();
					onB.lock();
					long at = System.nanoTime();
					onB.unlock();
					return at;
				});
				queued.await(10, TimeUnit.SECONDS);
				while (keys(writer, "/locks/handoff/") < 2) {
					TimeUnit.MILLISECONDS.sleep(1);
				}
				long start = onInstanceA.submit(() -> {
					long at = System.nanoTime();
					onA.unlock();
					return at;
				}).get(10, TimeUnit.SECONDS);
				handoffs[round] = held.get(10, TimeUnit.SECONDS) - start;
				while (keys(writer, "/locks/handoff/") > 0) {
					TimeUnit.MILLISECONDS.sleep(1);
				}
			}
			// the first rounds warm up
			long[] measured = Arrays.copyOfRange(handoffs, 20, handoffs.length);
			Arrays.sort(measured);
			System.out.printf(Locale.ROOT, "put until watch event: p50 %.0f us, p99 %.0f us%n", micros(floor, 0.5),
					micros(floor, 0.99));
			System.out.printf(Locale.ROOT, "unlock() on A until B holds: p50 %.0f us, p99 %.0f us (%.2f x floor)%n",
					micros(measured, 0.5), micros(measured, 0.99), micros(measured, 0.5) / micros(floor, 0.5));
			System.out.printf(Locale.ROOT, "slowest hand-offs: %.1f, %.1f, %.1f ms%n", measured[measured.length - 3] / 1e6,
					measured[measured.length - 2] / 1e6, measured[measured.length - 1] / 1e6);
		}
		finally {
			onInstanceA.shutdownNow();
			onInstanceB.shutdownNow();
		}
	}

	private static long[] floor(Client writer, Client watcher, int rounds) throws Exception {
		long[] latencies = new long[rounds + 20];
		for (int round = 0; round < latencies.length; round++) {
			CompletableFuture<Long> received = new CompletableFuture<>();
			try (Watch.Watcher watch = watcher.getWatchClient()
				.watch(EtcdKeys.bytes("/floor/key"), WatchOption.DEFAULT,
						(response) -> received.complete(System.nanoTime()))) {
				// a watch is established once the server answered a request after it was created
				watcher.getKVClient().get(EtcdKeys.bytes("/floor/key")).get(10, TimeUnit.SECONDS);
				TimeUnit.MILLISECONDS.sleep(5);
				long start = System.nanoTime();
				writer.getKVClient().put(EtcdKeys.bytes("/floor/key"), EtcdKeys.bytes(Integer.toString(round)))
					.get(10, TimeUnit.SECONDS);
				latencies[round] = received.get(10, TimeUnit.SECONDS) - start;
			}
		}
		long[] measured = Arrays.copyOfRange(latencies, 20, latencies.length);
		Arrays.sort(measured);
		return measured;
	}

	private static long keys(Client client, String prefix) throws Exception {
		return client.getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())
			.get(10, TimeUnit.SECONDS)
			.getCount();
	}

	private static double micros(long[] sorted, double quantile) {
		return sorted[Math.min(sorted.length - 1, (int) (sorted.length * quantile))] / 1000.0;
	}

}
