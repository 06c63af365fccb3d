package dev.coordination.it.lock;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockContext;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.task.VirtualThreadTaskExecutor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * 10,000 virtual threads call one {@code @DistributedLocked} method of an application that runs on
 * virtual threads ({@code spring.threads.virtual.enabled=true}): they take turns, all of them
 * complete, a few carrier threads run them all, and none is pinned to its carrier inside the starter
 * (JFR's {@code jdk.VirtualThreadPinned}, recorded from the first nanosecond).
 * <p>
 * Java 21 or later: Failsafe runs it only in the {@code java25} profile, which {@code -Pjava25} or
 * a JDK 21+ turns on; CI runs it on JDK 25. On an older JDK it fails rather than skips. Since Java 24
 * (JEP 491) a monitor no longer pins a virtual thread, so on JDK 25 the recording catches the
 * pinning that remains (a native frame or a class initializer on the stack while it parks); that no
 * blocking call runs under a monitor of the lock path is kept by review.
 */
class VirtualThreadLockIT {

	private static final int CALLS = 10_000;

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, LockAutoConfiguration.class))
		.withBean(Counter.class)
		.withPropertyValues("spring.threads.virtual.enabled=true",
				"coordination.etcd.endpoints=" + etcd.endpointsAsString(), "coordination.etcd.request-timeout=1s",
				"coordination.etcd.session.ttl=2s", "coordination.etcd.session.safety-margin=500ms");

	@Test
	void tenThousandVirtualThreadsTakeTurnsOnAFewCarriersAndNoneIsPinnedInTheStarter() {
		assertThat(Runtime.version().feature())
			.as("virtual threads need Java 21 or later: run this test on a JDK 25 (-Pjava25, see README)")
			.isGreaterThanOrEqualTo(21);
		this.contextRunner.run((context) -> {
			await().atMost(Duration.ofSeconds(5)).until(() -> context.getBean(CoordinationSession.class).isValid());
			Counter counter = context.getBean(Counter.class);
			VirtualThreadTaskExecutor threads = new VirtualThreadTaskExecutor("caller-");
			// every class of the lock path initialised first: a virtual thread that waits for another's
			// class initialisation is pinned meanwhile, once per class and JVM
			assertThat(callConcurrently(threads, counter, 20)).isEmpty();
			counter.reset();
			ThreadMXBean platformThreads = ManagementFactory.getThreadMXBean();
			int platformBefore = platformThreads.getThreadCount();
			platformThreads.resetPeakThreadCount();
			List<RecordedEvent> pinned;
			Queue<Throwable> failures;
			Duration elapsed;
			try (Recording recording = new Recording()) {
				recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
				recording.start();
				long started = System.nanoTime();
				failures = callConcurrently(threads, counter, CALLS);
				elapsed = Duration.ofNanos(System.nanoTime() - started);
				// the control: a virtual thread parks in a class initializer of this test, which pins it
				threads.submit(PinsWhileInitialised::touch).get(10, TimeUnit.SECONDS);
				recording.stop();
				pinned = events(recording);
			}
			int parallelism = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
					Runtime.getRuntime().availableProcessors());
			System.out.printf("%d calls in %d ms on carriers %s; platform threads %d before, peak %d; %d pinning events%n",
					counter.calls(), elapsed.toMillis(), counter.carriers(), platformBefore,
					platformThreads.getPeakThreadCount(), pinned.size());

			assertThat(failures).isEmpty();
			assertThat(counter.calls()).isEqualTo(CALLS);
			assertThat(counter.unguardedCalls()).isEqualTo(CALLS);
			assertThat(counter.maxInside()).isEqualTo(1);
			assertThat(counter.tokens()).allMatch((token) -> token > 0);
			// every waiter parked and left its carrier: the scheduler's few carriers ran all 10,000
			assertThat(counter.carriers()).isNotEmpty()
				.allMatch((carrier) -> carrier.startsWith("ForkJoinPool-"))
				.hasSizeLessThanOrEqualTo(parallelism);
			assertThat(platformThreads.getPeakThreadCount() - platformBefore).isLessThan(50);
			assertThat(pinned).as("the recording sees pinning")
				.anyMatch((event) -> frames(event).stream().anyMatch((frame) -> frame.contains("PinsWhileInitialised")));
			assertThat(pinned).as("pinned virtual threads with a frame of the starter")
				.noneMatch((event) -> frames(event).stream().anyMatch(VirtualThreadLockIT::isStarter));
		});
	}

	/**
	 * Call the locked method once from each of {@code calls} new virtual threads, all started
	 * before the first finishes, and wait for all of them (60 s at most).
	 * @return what the calls threw
	 */
	private static Queue<Throwable> callConcurrently(VirtualThreadTaskExecutor threads, Counter counter, int calls)
			throws InterruptedException {
		Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
		CountDownLatch start = new CountDownLatch(1);
		CountDownLatch done = new CountDownLatch(calls);
		for (int i = 0; i < calls; i++) {
			threads.execute(() -> {
				try {
					start.await();
					counter.increment();
				}
				catch (Throwable ex) {
					failures.add(ex);
				}
				finally {
					done.countDown();
				}
			});
		}
		start.countDown();
		assertThat(done.await(60, TimeUnit.SECONDS)).as("all calls done within 60 s").isTrue();
		return failures;
	}

	private static List<RecordedEvent> events(Recording recording) throws Exception {
		Path file = Files.createTempFile("virtual-thread-pinning", ".jfr");
		try {
			recording.dump(file);
			return RecordingFile.readAllEvents(file);
		}
		finally {
			Files.delete(file);
		}
	}

	private static List<String> frames(RecordedEvent event) {
		if (event.getStackTrace() == null) {
			return List.of();
		}
		return event.getStackTrace()
			.getFrames()
			.stream()
			.map(RecordedFrame::getMethod)
			.map((method) -> method.getType().getName() + "." + method.getName())
			.toList();
	}

	private static boolean isStarter(String frame) {
		return frame.startsWith("dev.coordination.") && !frame.startsWith("dev.coordination.it.");
	}

	/**
	 * The locked method. Read through methods: the bean is a proxy, whose own fields are unset.
	 */
	static class Counter {

		final AtomicInteger calls = new AtomicInteger();

		final AtomicInteger inside = new AtomicInteger();

		final AtomicInteger maxInside = new AtomicInteger();

		final Set<String> carriers = ConcurrentHashMap.newKeySet();

		final Queue<Long> tokens = new ConcurrentLinkedQueue<>();

		// incremented under the lock only: a lost update would show an overlap
		int unguardedCalls;

		@DistributedLocked(key = "'virtual-threads'", waitTime = "60s")
		public void increment() {
			int now = this.inside.incrementAndGet();
			this.maxInside.accumulateAndGet(now, Math::max);
			try {
				// a virtual thread's name ends with the carrier it is mounted on: ...@ForkJoinPool-1-worker-2
				String self = Thread.currentThread().toString();
				this.carriers.add(self.substring(self.lastIndexOf('@') + 1));
				this.tokens.add(LockContext.currentToken().orElse(-1));
				this.unguardedCalls++;
				this.calls.incrementAndGet();
			}
			finally {
				this.inside.decrementAndGet();
			}
		}

		public void reset() {
			this.calls.set(0);
			this.maxInside.set(0);
			this.carriers.clear();
			this.tokens.clear();
			this.unguardedCalls = 0;
		}

		public int calls() {
			return this.calls.get();
		}

		public int unguardedCalls() {
			return this.unguardedCalls;
		}

		public int maxInside() {
			return this.maxInside.get();
		}

		public Set<String> carriers() {
			return this.carriers;
		}

		public Queue<Long> tokens() {
			return this.tokens;
		}

	}

	static final class PinsWhileInitialised {

		static {
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
		}

		private PinsWhileInitialised() {
		}

		static void touch() {
		}

	}

}
