package dev.coordination.benchmarks.lock;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * The cost of one more acquisition while this instance holds {@code others} other locks: obtain
 * the next of 64 keys from the registry (as every {@code @DistributedLocked} call does), lock it and
 * unlock it. With the same cost at 0 and 10,000 others, holding many locks does not slow the next.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LockScaleBenchmark {

	private static final int KEYS = 64;

	@Param({ "0", "10000" })
	public int others;

	private ConfigurableApplicationContext context;

	private DistributedLockRegistry registry;

	private final List<DistributedLock> held = new ArrayList<>();

	private int next;

	@Setup(Level.Trial)
	public void setUp() {
		this.context = LockContexts.start(Map.of("coordination.etcd.session.ttl", "30s"));
		this.registry = this.context.getBean(DistributedLockRegistry.class);
		for (int i = 0; i < this.others; i++) {
			DistributedLock lock = this.registry.obtain("benchmark-held-" + i);
			lock.lock();
			this.held.add(lock);
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() {
		// closing the context deletes the held locks' keys with the session lease
		if (this.context != null) {
			this.context.close();
		}
		this.held.clear();
	}

	@Benchmark
	public DistributedLock obtainLockUnlock() {
		DistributedLock lock = this.registry.obtain("benchmark-scale-" + (this.next++ % KEYS));
		lock.lock();
		lock.unlock();
		return lock;
	}

}
