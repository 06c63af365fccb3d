package dev.coordination.benchmarks.lock;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.lock.DistributedLocked;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.VirtualThreadTaskExecutor;

/**
 * One JVM of {@link VirtualThreadWaitersMeasurement}: starts the starter's lock context (on virtual
 * threads, {@code spring.threads.virtual.enabled=true}, in mode {@code virtual}), lets
 * {@code threads} threads (virtual or platform) call one {@code @DistributedLocked} method
 * {@code calls} times in all, all started at once so that all but one wait, first as a warm-up and
 * then measured, and prints
 * {@code RESULT <mode> <threads> <calls> <elapsed nanos> <peak heap bytes> <VmHWM kB> <peak platform threads> <most inside at once>}.
 * Exits when its stdin closes.
 * <p>
 * Arguments: {@code <endpoints> <virtual|platform> <threads> <calls>}.
 */
public final class VirtualThreadWaitersChild {

	private VirtualThreadWaitersChild() {
	}

	public static void main(String[] args) throws Exception {
		exitWhenStdinCloses();
		String mode = args[1];
		int threads = Integer.parseInt(args[2]);
		int calls = Integer.parseInt(args[3]);
		boolean virtual = mode.equals("virtual");
		SpringApplication application = new SpringApplication(WaitersConfiguration.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		Map<String, Object> properties = new HashMap<>();
		properties.put("coordination.etcd.endpoints", args[0]);
		properties.put("coordination.etcd.session.ttl", "10s");
		properties.put("coordination.etcd.request-timeout", "10s");
		properties.put("spring.threads.virtual.enabled", Boolean.toString(virtual));
		application.setDefaultProperties(properties);
		try (ConfigurableApplicationContext context = application.run()) {
			Waiters waiters = context.getBean(Waiters.class);
			ThreadFactory factory = virtual ? new VirtualThreadTaskExecutor("waiter-").getVirtualThreadFactory()
					: (task) -> {
						Thread thread = new Thread(task);
						thread.setDaemon(true);
						return thread;
					};
			// warm-up: the same work, a fifth of it
			run(factory, threads, Math.max(threads, calls / 5), waiters);
			waiters.reset();
			System.gc();
			List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans()
				.stream()
				.filter((pool) -> pool.getType() == MemoryType.HEAP)
				.toList();
			heap.forEach(MemoryPoolMXBean::resetPeakUsage);
			ThreadMXBean platformThreads = ManagementFactory.getThreadMXBean();
			platformThreads.resetPeakThreadCount();
			long elapsed = run(factory, threads, calls, waiters);
			long peakHeap = heap.stream().mapToLong((pool) -> pool.getPeakUsage().getUsed()).sum();
			if (waiters.calls() != calls) {
				throw new IllegalStateException(waiters.calls() + " calls instead of " + calls);
			}
			System.out.println("RESULT " + mode + " " + threads + " " + calls + " " + elapsed + " " + peakHeap + " "
					+ vmHwmKb() + " " + platformThreads.getPeakThreadCount() + " " + waiters.maxInside());
		}
		System.exit(0);
	}

	/**
	 * Start {@code threads} threads that make {@code calls} calls in all, let them go at once, and
	 * wait for them.
	 * @return the nanoseconds from the go to the last call
	 */
	private static long run(ThreadFactory factory, int threads, int calls, Waiters waiters) throws InterruptedException {
		CountDownLatch go = new CountDownLatch(1);
		CountDownLatch done = new CountDownLatch(threads);
		AtomicLong failures = new AtomicLong();
		for (int i = 0; i < threads; i++) {
			int share = calls / threads + ((i < calls % threads) ? 1 : 0);
			factory.newThread(() -> {
				try {
					go.await();
					for (int call = 0; call < share; call++) {
						waiters.call();
					}
				}
				catch (Throwable ex) {
					failures.incrementAndGet();
					ex.printStackTrace();
				}
				finally {
					done.countDown();
				}
			}).start();
		}
		long start = System.nanoTime();
		go.countDown();
		if (!done.await(10, TimeUnit.MINUTES)) {
			throw new IllegalStateException("Callers did not finish within 10 minutes");
		}
		long elapsed = System.nanoTime() - start;
		if (failures.get() > 0) {
			throw new IllegalStateException(failures.get() + " callers failed");
		}
		return elapsed;
	}

	/**
	 * The resident set's high-water mark, from {@code /proc/self/status} (Linux).
	 * @return the kB, or -1 where there is no such file
	 */
	private static long vmHwmKb() throws IOException {
		Path status = Path.of("/proc/self/status");
		if (!Files.isReadable(status)) {
			return -1;
		}
		return Files.readAllLines(status)
			.stream()
			.filter((line) -> line.startsWith("VmHWM:"))
			.mapToLong((line) -> Long.parseLong(line.replaceAll("[^0-9]", "")))
			.findFirst()
			.orElse(-1);
	}

	private static void exitWhenStdinCloses() {
		Thread watcher = new Thread(() -> {
			InputStream in = System.in;
			try {
				while (in.read() != -1) {
					// nothing to read: the parent never writes
				}
			}
			catch (IOException ex) {
				// closed
			}
			Runtime.getRuntime().halt(2);
		}, "stdin-watcher");
		watcher.setDaemon(true);
		watcher.start();
	}

	/**
	 * The locked method: counts its calls and how many threads are inside at once. Read through
	 * methods: the bean is a proxy, whose own fields are unset.
	 */
	public static class Waiters {

		final AtomicLong calls = new AtomicLong();

		final AtomicInteger inside = new AtomicInteger();

		final AtomicInteger maxInside = new AtomicInteger();

		@DistributedLocked(key = "'virtual-thread-waiters'", waitTime = "10m")
		public void call() {
			int now = this.inside.incrementAndGet();
			this.maxInside.accumulateAndGet(now, Math::max);
			this.calls.incrementAndGet();
			this.inside.decrementAndGet();
		}

		public void reset() {
			this.calls.set(0);
			this.maxInside.set(0);
		}

		public long calls() {
			return this.calls.get();
		}

		public int maxInside() {
			return this.maxInside.get();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ AopAutoConfiguration.class, EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			LockAutoConfiguration.class })
	static class WaitersConfiguration {

		@Bean
		Waiters waiters() {
			return new Waiters();
		}

	}

}
