package dev.coordination.benchmarks;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseRevokeResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.CompactOption;
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

/**
 * The raw floor: single sequential calls on a plain jetcd client, the latency every other
 * benchmark of this project is compared with.
 * <p>
 * One client per trial, built from the endpoints in {@value BenchmarkClients#ENDPOINTS_PROPERTY}
 * and connected before the first iteration. Every call waits for its answer, bounded by 5 seconds;
 * a call that times out fails the benchmark instead of being measured. Keys live under a prefix
 * unique to the trial; when the trial ends they are deleted and etcd is compacted, so every trial
 * starts from the same state whatever ran before it. The etcd must therefore be dedicated to the
 * benchmarks: compaction ends other clients' watches. The {@code template*} benchmarks make the same
 * calls through {@link EtcdTemplate}, the starter's bounded facade, to show its overhead.
 * <p>
 * Absolute figures depend on the machine and are noisy; compare ratios measured in one run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EtcdFloorBenchmark {

	private static final long TIMEOUT_SECONDS = BenchmarkClients.TIMEOUT_SECONDS;

	private static final int VALUE_SIZE = 100;

	private static final long LEASE_TTL_SECONDS = 10;

	private final AtomicLong sequence = new AtomicLong();

	private Client client;

	private KV kv;

	private Lease lease;

	private EtcdTemplate template;

	private String prefix;

	private String keyName;

	private String valueText;

	private ByteSequence key;

	private ByteSequence value;

	@Setup(Level.Trial)
	public void connect() throws Exception {
		this.client = BenchmarkClients.newClient();
		this.kv = this.client.getKVClient();
		this.lease = this.client.getLeaseClient();
		this.template = new EtcdTemplate(this.client, Duration.ofSeconds(TIMEOUT_SECONDS));
		this.prefix = "coordination-benchmarks/floor/" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "/";
		this.keyName = this.prefix + "key";
		this.valueText = "v".repeat(VALUE_SIZE);
		this.key = EtcdKeys.bytes(this.keyName);
		this.value = EtcdKeys.bytes(this.valueText);
		// Connects the channel and creates the key that get and templateGet read.
		this.kv.put(this.key, this.value).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
	}

	@TearDown(Level.Trial)
	public void close() throws Exception {
		try {
			long revision = this.kv.delete(EtcdKeys.bytes(this.prefix), DeleteOption.builder().isPrefix(true).build())
				.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
				.getHeader()
				.getRevision();
			// Tombstones and old revisions stay until compaction; measured on etcd 3.4.23, the
			// tombstones of one trial's keys made every later get ~50 % slower, so the next trial
			// would depend on the order of the benchmarks.
			this.kv.compact(revision, CompactOption.builder().withCompactPhysical(true).build())
				.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
		}
		finally {
			this.client.close();
		}
	}

	/**
	 * Write a 100-byte value to a fixed key.
	 * @return the response
	 * @throws Exception if the call fails or times out
	 */
	@Benchmark
	public PutResponse put() throws Exception {
		return this.kv.put(this.key, this.value).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
	}

	/**
	 * Read the fixed key (a linearizable read, jetcd's default).
	 * @return the response
	 * @throws Exception if the call fails or times out
	 */
	@Benchmark
	public GetResponse get() throws Exception {
		return this.kv.get(this.key).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
	}

	/**
	 * Create a fresh key only if it does not exist, else read it: the core of a lock acquisition
	 * (without the lease, which {@link #leaseGrantRevoke()} measures).
	 * @return the response, always succeeded since every key is new
	 * @throws Exception if the call fails or times out
	 */
	@Benchmark
	public TxnResponse createIfAbsentTxn() throws Exception {
		ByteSequence fresh = EtcdKeys.bytes(this.prefix + "txn/" + this.sequence.incrementAndGet());
		return this.kv.txn()
			.If(new Cmp(fresh, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
			.Then(Op.put(fresh, this.value, PutOption.DEFAULT))
			.Else(Op.get(fresh, GetOption.DEFAULT))
			.commit()
			.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
	}

	/**
	 * Grant a 10-second lease and revoke it: two sequential calls, the lease life cycle of a session.
	 * @return the revoke response
	 * @throws Exception if a call fails or times out
	 */
	@Benchmark
	public LeaseRevokeResponse leaseGrantRevoke() throws Exception {
		long id = this.lease.grant(LEASE_TTL_SECONDS).get(TIMEOUT_SECONDS, TimeUnit.SECONDS).getID();
		return this.lease.revoke(id).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
	}

	/**
	 * {@link #put()} through {@link EtcdTemplate#put(String, String)}.
	 * @return the response
	 */
	@Benchmark
	@ComparedTo("EtcdFloorBenchmark.put")
	public PutResponse templatePut() {
		return this.template.put(this.keyName, this.valueText);
	}

	/**
	 * {@link #get()} through {@link EtcdTemplate#get(String)}.
	 * @return the key-value
	 */
	@Benchmark
	@ComparedTo("EtcdFloorBenchmark.get")
	public KeyValue templateGet() {
		return this.template.get(this.keyName).orElseThrow();
	}

}
