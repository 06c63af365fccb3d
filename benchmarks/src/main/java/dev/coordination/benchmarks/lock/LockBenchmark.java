package dev.coordination.benchmarks.lock;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.coordination.benchmarks.BenchmarkClients;
import dev.coordination.benchmarks.ComparedTo;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedSemaphore;
import dev.coordination.lock.LockHold;
import dev.coordination.lock.ReactiveLocks;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseRevokeResponse;
import io.etcd.jetcd.lock.UnlockResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Mono;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * Uncontended acquire + release of a distributed lock through the starter, against the raw floor
 * (one create-if-absent txn and one delete on a plain jetcd client), jetcd's server-side Lock
 * client on one lease, and a lock that grants a fresh lease for every acquisition.
 * <p>
 * The trial starts a Spring context with the starter's etcd, session and lock auto-configurations
 * and one plain jetcd client, both against the etcd in {@value LockContexts#ENDPOINTS_PROPERTY}.
 * Every call waits for its answer, bounded by 5 seconds. Each benchmark uses a key of its own, and
 * nobody else competes for it. Compare ratios measured in one run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LockBenchmark {

	private static final long TIMEOUT_SECONDS = BenchmarkClients.TIMEOUT_SECONDS;

	private static final long LEASE_TTL_SECONDS = 10;

	private static final String PREFIX = "/benchmark/lock/";

	private static final int FRESH_KEYS = 64;

	private ConfigurableApplicationContext context;

	private DistributedLockRegistry registry;

	private LockContexts.LockedTask lockedTask;

	private ReactiveLocks reactiveLocks;

	private final Mono<String> work = Mono.just("done");

	private Client client;

	private KV kv;

	private Lease lease;

	private long serverLockLease;

	private ByteSequence floorKey;

	private ByteSequence leasePerLockKey;

	private ByteSequence serverLockName;

	private ByteSequence empty;

	private DistributedLock[] freshKeyLocks;

	private int nextFreshKey;

	@Setup(Level.Trial)
	public void setUp() throws Exception {
		this.context = LockContexts.start(Map.of());
		this.registry = this.context.getBean(DistributedLockRegistry.class);
		this.lockedTask = this.context.getBean(LockContexts.LockedTask.class);
		this.reactiveLocks = this.context.getBean(ReactiveLocks.class);
		// held strongly: an idle lock is only weakly referenced by the registry
		this.freshKeyLocks = new DistributedLock[FRESH_KEYS];
		for (int i = 0; i < FRESH_KEYS; i++) {
			this.freshKeyLocks[i] = this.registry.obtain("benchmark-fresh-" + i);
		}
		this.client = Client.builder().endpoints(System.getProperty(LockContexts.ENDPOINTS_PROPERTY).split(",")).build();
		this.kv = this.client.getKVClient();
		this.lease = this.client.getLeaseClient();
		this.serverLockLease = this.lease.grant(60).get(TIMEOUT_SECONDS, TimeUnit.SECONDS).getID();
		this.floorKey = EtcdKeys.bytes(PREFIX + "floor");
		this.leasePerLockKey = EtcdKeys.bytes(PREFIX + "lease-per-lock");
		this.serverLockName = EtcdKeys.bytes(PREFIX + "server-lock");
		this.empty = EtcdKeys.bytes("");
		if (!"done".equals(this.lockedTask.work())) {
			throw new IllegalStateException("The @DistributedLocked method did not run");
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() throws Exception {
		if (this.client != null) {
			this.lease.revoke(this.serverLockLease).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
			this.kv.delete(EtcdKeys.bytes(PREFIX), DeleteOption.builder().isPrefix(true).build())
				.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
			this.client.close();
		}
		if (this.context != null) {
			this.context.close();
		}
	}

	/**
	 * The floor: a create-if-absent txn without a lease, then a delete.
	 * @return the delete response
	 * @throws Exception if a call fails or times out
	 */
	@Benchmark
	public DeleteResponse floorAcquireRelease() throws Exception {
		TxnResponse created = this.kv.txn()
			.If(new Cmp(this.floorKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
			.Then(Op.put(this.floorKey, this.empty, PutOption.DEFAULT))
			.Else(Op.get(this.floorKey, GetOption.DEFAULT))
			.commit()
			.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
		if (!created.isSucceeded()) {
			throw new IllegalStateException("Floor key left behind");
		}
		return this.kv.delete(this.floorKey).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
	}

	/**
	 * {@code registry.obtain(key).lock()} then {@code unlock()}.
	 * @return the lock
	 */
	@Benchmark
	@ComparedTo("LockBenchmark.floorAcquireRelease")
	public DistributedLock starterLockUnlock() {
		DistributedLock lock = this.registry.obtain("benchmark");
		lock.lock();
		lock.unlock();
		return lock;
	}

	/**
	 * {@code lock()} then {@code unlock()} of the next of {@value #FRESH_KEYS} keys in turn: the key of
	 * each lock's last hold was deleted long before, so no acquisition takes a released key over. What
	 * the caller waits for is the create; the delete runs in the background.
	 * @return the lock
	 */
	@Benchmark
	@ComparedTo("LockBenchmark.floorAcquireRelease")
	public DistributedLock starterLockUnlockNoReuse() {
		DistributedLock lock = this.freshKeyLocks[this.nextFreshKey];
		this.nextFreshKey = (this.nextFreshKey + 1) % FRESH_KEYS;
		lock.lock();
		lock.unlock();
		return lock;
	}

	/**
	 * An asynchronous hold of the starter: {@code acquireAsync(key)} then {@code release()}, the caller
	 * waiting for each future; against the blocking path, {@code lock()} and {@code unlock()}.
	 * @return the hold
	 * @throws Exception if a call fails or times out
	 */
	@Benchmark
	@ComparedTo("LockBenchmark.starterLockUnlock")
	public LockHold starterAsyncAcquireRelease() throws Exception {
		LockHold hold = this.registry.acquireAsync("benchmark-async", Duration.ofSeconds(TIMEOUT_SECONDS))
			.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
		hold.release().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
		return hold;
	}

	/**
	 * Reactive work holding the starter's lock, {@code withLock(key, Mono.just(..))}, blocked on;
	 * against the blocking path, {@code lock()} and {@code unlock()}.
	 * @return the work's value
	 */
	@Benchmark
	@ComparedTo("LockBenchmark.starterLockUnlock")
	public String starterReactiveWithLock() {
		return this.reactiveLocks.withLock("benchmark-reactive", this.work).block(Duration.ofSeconds(TIMEOUT_SECONDS));
	}

	/**
	 * {@code registry.readWriteLock(key).readLock()}: {@code lock()} then {@code unlock()}.
	 * @return the lock
	 */
	@Benchmark
	@ComparedTo("LockBenchmark.floorAcquireRelease")
	public DistributedLock starterReadLockUnlock() {
		DistributedLock lock = this.registry.readWriteLock("benchmark-read").readLock();
		lock.lock();
		lock.unlock();
		return lock;
	}

	/**
	 * {@code registry.semaphore(key, 3)}: {@code acquire()} then {@code release()}.
	 * @return the released permit
	 * @throws InterruptedException never: nobody interrupts the benchmark thread
	 */
	@Benchmark
	@ComparedTo("LockBenchmark.floorAcquireRelease")
	public DistributedSemaphore.Permit starterSemaphoreAcquireRelease() throws InterruptedException {
		DistributedSemaphore.Permit permit = this.registry.semaphore("benchmark-semaphore", 3).acquire();
		permit.release();
		return permit;
	}

	/**
	 * A call of a trivial {@code @DistributedLocked} method.
	 * @return the method's result
	 */
	@Benchmark
	@ComparedTo("LockBenchmark.floorAcquireRelease")
	public String starterAnnotatedMethod() {
		return this.lockedTask.work();
	}

	/**
	 * jetcd's server-side Lock service on one 60 s lease (longer than a trial): {@code lock(name, lease)} then
	 * {@code unlock(key)}.
	 * @return the unlock response
	 * @throws Exception if a call fails or times out
	 */
	@Benchmark
	@ComparedTo("LockBenchmark.floorAcquireRelease")
	public UnlockResponse serverLockClient() throws Exception {
		ByteSequence key = this.client.getLockClient()
			.lock(this.serverLockName, this.serverLockLease)
			.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
			.getKey();
		return this.client.getLockClient().unlock(key).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
	}

	/**
	 * A lease per acquisition: grant, create-if-absent txn with that lease, revoke (which deletes the
	 * key with the lease).
	 * @return the revoke response
	 * @throws Exception if a call fails or times out
	 */
	@Benchmark
	@ComparedTo("LockBenchmark.floorAcquireRelease")
	public LeaseRevokeResponse leasePerLock() throws Exception {
		long id = this.lease.grant(LEASE_TTL_SECONDS).get(TIMEOUT_SECONDS, TimeUnit.SECONDS).getID();
		TxnResponse created = this.kv.txn()
			.If(new Cmp(this.leasePerLockKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
			.Then(Op.put(this.leasePerLockKey, this.empty, PutOption.builder().withLeaseId(id).build()))
			.Else(Op.get(this.leasePerLockKey, GetOption.DEFAULT))
			.commit()
			.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
		if (!created.isSucceeded()) {
			throw new IllegalStateException("Lease-per-lock key left behind");
		}
		return this.lease.revoke(id).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
	}

}
