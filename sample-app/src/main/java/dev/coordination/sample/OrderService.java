package dev.coordination.sample;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockContext;
import dev.coordination.lock.LockHold;
import dev.coordination.session.CoordinationSession;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;

import org.springframework.core.env.Environment;
import org.springframework.stereotype.Service;

/**
 * Processes an order once at a time across all instances: the work runs under the order's
 * distributed lock, and writes its result with a fenced transaction that etcd applies only while
 * the lock is still held.
 * <p>
 * To show that no two instances ever run it at once, the work marks the order as in progress in
 * etcd (a key created only if absent) for its duration: finding the mark already there would mean
 * mutual exclusion broke, and is answered as {@code OVERLAP}. It also counts the runs of the order
 * by reading the count, working 50 ms, and writing count + 1: two runs at once would lose one.
 */
@Service
class OrderService {

	private final EtcdTemplate etcd;

	private final CoordinationSession session;

	private final Environment environment;

	OrderService(EtcdTemplate etcd, CoordinationSession session, Environment environment) {
		this.etcd = etcd;
		this.session = session;
		this.environment = environment;
	}

	@DistributedLocked(key = "'orders/' + #id", waitTime = "30s", name = "orders")
	public String process(String id) throws InterruptedException {
		DistributedLock lock = LockContext.currentLock();
		long token = lock.fencingToken().orElseThrow();
		String instance = "port " + this.environment.getProperty("local.server.port");
		String running = key(id, "running");
		// on the session lease, like the lock itself: a killed instance's mark goes with its lease
		PutOption onSession = PutOption.builder().withLeaseId(this.session.leaseId()).build();
		boolean alone = this.etcd.txn("mark order " + id + " running",
				(txn) -> txn.If(new Cmp(Keys.bytes(running), Cmp.Op.EQUAL, CmpTarget.version(0)))
					.Then(Op.put(Keys.bytes(running), Keys.bytes(instance), onSession)))
			.isSucceeded();
		try {
			long runs = runs(id).orElse(0L);
			Thread.sleep(50);
			// a real service passes the token to the system it writes to, which rejects older tokens;
			// here etcd does: the write applies only while this instance still holds the lock
			boolean written = lock.fencedWrite(FencedWrite.put(key(id, "runs"), Long.toString(runs + 1))).applied();
			return (alone ? "" : "OVERLAP ") + "Order " + id + " processed by the instance on " + instance
					+ " under fencing token " + token + " (run " + (runs + 1)
					+ (written ? "" : ", write rejected: lock lost") + ").\n";
		}
		finally {
			if (alone) {
				this.etcd.delete(running);
			}
		}
	}

	/**
	 * The same work as {@link #process}, on another thread: the lock of the order is held until the
	 * returned future completes, so a synchronous and an asynchronous call of one order never overlap.
	 * @param id the order
	 * @return the report, once the work is done and the lock released
	 */
	@DistributedLocked(key = "'orders/' + #id", waitTime = "30s", name = "orders-async")
	public CompletableFuture<String> processAsync(String id) {
		// the hold belongs to no thread: keep it for the stages that do the work
		LockHold hold = LockContext.currentHold();
		String instance = "port " + this.environment.getProperty("local.server.port");
		String running = key(id, "running");
		PutOption onSession = PutOption.builder().withLeaseId(this.session.leaseId()).build();
		boolean alone = this.etcd.txn("mark order " + id + " running",
				(txn) -> txn.If(new Cmp(Keys.bytes(running), Cmp.Op.EQUAL, CmpTarget.version(0)))
					.Then(Op.put(Keys.bytes(running), Keys.bytes(instance), onSession)))
			.isSucceeded();
		long runs = runs(id).orElse(0L);
		return CompletableFuture.supplyAsync(() -> {
			boolean written = hold.fencedWrite(FencedWrite.put(key(id, "runs"), Long.toString(runs + 1))).applied();
			if (alone) {
				this.etcd.delete(running);
			}
			return (alone ? "" : "OVERLAP ") + "Order " + id + " processed asynchronously by the instance on "
					+ instance + " under fencing token " + hold.fencingToken() + " (run " + (runs + 1)
					+ (written ? "" : ", write rejected: lock lost") + ").\n";
		}, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
	}

	Optional<Long> runs(String id) {
		return this.etcd.get(key(id, "runs")).map(KeyValue::getValue).map(Keys::text).map(Long::parseLong);
	}

	private static String key(String id, String what) {
		return "/sample/orders/" + Keys.segment(id) + "/" + what;
	}

}
