package dev.coordination.benchmarks.lock;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * One JVM of {@link LockHandoffMeasurement}: starts the starter's lock context, prints
 * {@code READY}, waits for key {@value #GO_KEY}, then lets {@code threads} threads lock and unlock
 * lock {@value #LOCK} back to back for {@code seconds}, and prints
 * {@code RESULT <acquisitions> <distinct tokens> <elapsed nanos>}. Exits when its stdin closes.
 * <p>
 * Arguments: {@code <endpoints> <threads> <seconds>}.
 */
public final class LockHandoffChild {

	static final String LOCK = "contended";

	static final String GO_KEY = "/benchmark/handoff/go";

	private LockHandoffChild() {
	}

	public static void main(String[] args) throws Exception {
		exitWhenStdinCloses();
		int threads = Integer.parseInt(args[1]);
		long seconds = Long.parseLong(args[2]);
		ConfigurableApplicationContext context = LockContexts.start(args[0],
				Map.of("coordination.etcd.session.ttl", "10s", "coordination.etcd.request-timeout", "10s"));
		DistributedLock lock = context.getBean(DistributedLockRegistry.class).obtain(LOCK);
		EtcdTemplate etcd = context.getBean(EtcdTemplate.class);
		System.out.println("READY");
		long goDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
		while (etcd.get(GO_KEY).isEmpty()) {
			if (System.nanoTime() - goDeadline > 0) {
				throw new IllegalStateException("No go within 60 s");
			}
			TimeUnit.MILLISECONDS.sleep(10);
		}
		AtomicLong acquisitions = new AtomicLong();
		Set<Long> tokens = ConcurrentHashMap.newKeySet();
		long start = System.nanoTime();
		long end = start + TimeUnit.SECONDS.toNanos(seconds);
		CountDownLatch done = new CountDownLatch(threads);
		for (int i = 0; i < threads; i++) {
			Thread thread = new Thread(() -> {
				try {
					while (System.nanoTime() - end < 0) {
						if (lock.tryLock(5, TimeUnit.SECONDS)) {
							tokens.add(lock.fencingToken().orElse(-1));
							acquisitions.incrementAndGet();
							lock.unlock();
						}
					}
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				finally {
					done.countDown();
				}
			}, "handoff-" + i);
			thread.setDaemon(true);
			thread.start();
		}
		if (!done.await(seconds + 30, TimeUnit.SECONDS)) {
			throw new IllegalStateException("Workers did not finish");
		}
		System.out.println("RESULT " + acquisitions.get() + " " + tokens.size() + " " + (System.nanoTime() - start));
		System.out.flush();
		context.close();
		System.exit(0);
	}

	private static void exitWhenStdinCloses() {
		Thread thread = new Thread(() -> {
			try (InputStream in = System.in) {
				while (in.read() != -1) {
					// nothing is sent: the stream only tells that the parent is alive
				}
			}
			catch (IOException ex) {
				// the parent is gone as well
			}
			Runtime.getRuntime().halt(2);
		}, "parent-watch");
		thread.setDaemon(true);
		thread.start();
	}

}
