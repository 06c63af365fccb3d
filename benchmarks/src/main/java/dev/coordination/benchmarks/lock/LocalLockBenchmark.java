package dev.coordination.benchmarks.lock;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import dev.coordination.benchmarks.ComparedTo;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * Lock operations that should not reach etcd: re-acquisition by the thread that holds the lock,
 * and the hand-off between two threads of one instance alternating on one lock (the etcd key stays,
 * so a hand-off costs no round trip as long as the other thread is already queued).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LocalLockBenchmark {

	/**
	 * One context per trial, shared by the threads of the benchmark.
	 */
	@State(Scope.Benchmark)
	public static class Registry {

		ConfigurableApplicationContext context;

		DistributedLockRegistry registry;

		final ReentrantLock jvmLock = new ReentrantLock(true);

		@Setup(Level.Trial)
		public void start() {
			this.context = LockContexts.start(Map.of());
			this.registry = this.context.getBean(DistributedLockRegistry.class);
		}

		@TearDown(Level.Trial)
		public void close() {
			this.context.close();
		}

	}

	/**
	 * The benchmark thread's outer hold of lock {@code reentrant}, taken and released on that thread.
	 */
	@State(Scope.Thread)
	public static class Held {

		DistributedLock lock;

		@Setup(Level.Iteration)
		public void lock(Registry registry) {
			this.lock = registry.registry.obtain("reentrant");
			this.lock.lock();
		}

		@TearDown(Level.Iteration)
		public void unlock() {
			this.lock.unlock();
		}

	}

	/**
	 * {@code lock()} + {@code unlock()} while the thread already holds the lock.
	 * @param held the outer hold
	 * @return the lock
	 */
	@Benchmark
	public DistributedLock reentrantLockUnlock(Held held) {
		held.lock.lock();
		held.lock.unlock();
		return held.lock;
	}

	/**
	 * Two threads of one instance alternating on one lock: {@code lock()} + {@code unlock()} each,
	 * with nothing in between. Sampled, because the distribution matters: a thread that unlocks while
	 * the other one has not come back to {@code lock()} yet releases the etcd key, and the next
	 * {@code lock()} takes it again (two round trips); every other hand-off keeps the key.
	 * @param registry the registry
	 * @return the lock
	 */
	@Benchmark
	@BenchmarkMode(Mode.SampleTime)
	@OutputTimeUnit(TimeUnit.MICROSECONDS)
	@Group("handoff")
	@ComparedTo("LocalLockBenchmark.jvmHandoff")
	@GroupThreads(2)
	public DistributedLock sameJvmHandoff(Registry registry) {
		DistributedLock lock = registry.registry.obtain("handoff");
		lock.lock();
		lock.unlock();
		return lock;
	}

	/**
	 * The baseline of {@code sameJvmHandoff}: the same two threads alternating on a fair
	 * {@link ReentrantLock}, which is what the local queue of a distributed lock is.
	 * @param registry holds the JVM lock
	 * @return the lock
	 */
	@Benchmark
	@BenchmarkMode(Mode.SampleTime)
	@OutputTimeUnit(TimeUnit.MICROSECONDS)
	@Group("jvmHandoff")
	@GroupThreads(2)
	public ReentrantLock fairReentrantLockHandoff(Registry registry) {
		registry.jvmLock.lock();
		registry.jvmLock.unlock();
		return registry.jvmLock;
	}

}
