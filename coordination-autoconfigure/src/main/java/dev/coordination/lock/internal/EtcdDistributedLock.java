package dev.coordination.lock.internal;

import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockLostException;
import dev.coordination.session.internal.EtcdSession;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * {@link DistributedLock} on the coordination session, with the key layout of etcd's Go
 * {@code concurrency.Mutex}: this instance writes {@code <prefix>/<key>/<leaseHex>} on its session
 * lease, the key with the lowest create revision holds, and a waiter watches only the key just
 * before its own (no herd effect). {@code etcdctl lock} and Go services exclude with it.
 * <p>
 * Threads of this instance queue first on a fair local lock, so etcd sees one waiter per instance,
 * and a hand-off between threads of this instance keeps the etcd key: no round trip, and the
 * fencing token stays that of the instance's hold. A waiter that times out or is interrupted
 * deletes its own key.
 */
class EtcdDistributedLock extends AbstractDistributedLock implements RegisteredLock {

	private static final Log logger = LogFactory.getLog(EtcdDistributedLock.class);

	/**
	 * How long threads of this instance may hand the etcd key to each other before this instance
	 * checks whether another instance queues behind it; if one does, the key is released at the next
	 * hand-off, so that a busy instance does not starve the others.
	 */
	static final long HAND_OFF_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	private final String key;

	private final String prefix;

	private final EtcdTemplate etcd;

	private final EtcdSession session;

	private final EtcdQueue queue;

	private final EtcdLockRegistry registry;

	private final ReentrantLock local = new ReentrantLock(true);

	private volatile Ownership ownership;

	private volatile Thread holder;

	// guarded by this: threads inside acquire()
	private int acquiring;

	// guarded by this: a hold whose release failed and is being retried
	private Ownership pendingRelease;

	EtcdDistributedLock(String key, String lockPrefix, EtcdQueue queue, EtcdLockRegistry registry) {
		this.key = key;
		this.prefix = EtcdKeys.key(lockPrefix, EtcdKeys.segment("lock key", key)) + "/";
		this.queue = queue;
		this.etcd = queue.etcd();
		this.session = queue.session();
		this.registry = registry;
	}

	@Override
	public String key() {
		return this.key;
	}

	String keyPrefix() {
		return this.prefix;
	}

	@Override
	public boolean isHeldByCurrentThread() {
		Ownership current = this.ownership;
		return this.local.isHeldByCurrentThread() && current != null && this.session.isValid(current.leaseId());
	}

	@Override
	public OptionalLong fencingToken() {
		Ownership current = this.ownership;
		return (isHeldByCurrentThread() && current != null) ? OptionalLong.of(current.token()) : OptionalLong.empty();
	}

	@Override
	String description() {
		return "Lock '" + this.key + "'";
	}

	@Override
	public void unlock() {
		if (!this.local.isHeldByCurrentThread()) {
			throw new IllegalMonitorStateException("Lock '" + this.key + "' is not held by the current thread");
		}
		Ownership current = this.ownership;
		boolean valid = current != null && this.session.isValid(current.leaseId());
		if (this.local.getHoldCount() > 1) {
			this.local.unlock();
			if (!valid) {
				throw new LockLostException(this.key, (current != null) ? current.token() : 0);
			}
			return;
		}
		try {
			this.holder = null;
			if (!valid) {
				this.ownership = null;
				throw new LockLostException(this.key, (current != null) ? current.token() : 0);
			}
			Ownership handedOff = othersAcquiring() ? handOff(current) : null;
			if (handedOff != null) {
				// a thread of this instance waits: it takes the etcd key over without a round trip
				this.ownership = handedOff;
			}
			else {
				// nobody waits here, or other instances have waited long enough: let them in
				this.ownership = null;
				release(current);
			}
		}
		finally {
			this.local.unlock();
			// the waiter may have given up between the check above and now
			releaseIfAbandoned();
			releaseIfIdle();
		}
	}

	/**
	 * The hold to hand to the next thread of this instance, or {@code null} when the key should go
	 * because another instance has waited through a whole hand-off window.
	 */
	private Ownership handOff(Ownership current) {
		if (System.nanoTime() - current.windowStart() < HAND_OFF_WINDOW_NANOS) {
			return current;
		}
		try {
			// etcd counts before it filters by revision: read the keys (at most one) instead of counting
			boolean queuedBehind = !this.etcd.call("find waiters behind " + current.key(), () -> this.etcd.getClient()
				.getKVClient()
				.get(EtcdKeys.bytes(this.prefix), GetOption.builder()
					.isPrefix(true)
					.withMinCreateRevision(current.token() + 1)
					.withKeysOnly(true)
					.withLimit(1)
					.build()))
				.getKvs()
				.isEmpty();
			return queuedBehind ? null : current.withNewWindow();
		}
		catch (EtcdAccessException ex) {
			return null;
		}
	}

	@Override
	public List<HeldLock> sessionLost(long leaseId, boolean interruptHolders) {
		Ownership current = this.ownership;
		if (current == null || current.leaseId() != leaseId) {
			return List.of();
		}
		Thread thread = this.holder;
		if (interruptHolders && thread != null) {
			thread.interrupt();
		}
		return List.of(current.held(this.key, this.local.getQueueLength()));
	}

	@Override
	public List<HeldLock> held() {
		Ownership current = this.ownership;
		if (current == null || !this.session.isValid(current.leaseId())) {
			return List.of();
		}
		return List.of(current.held(this.key, this.local.getQueueLength()));
	}

	@Override
	public WriteResult fencedWrite(FencedWrite write) {
		Ownership current = heldOwnership();
		return this.etcd.fencedWrite(current.key(), current.token(), write);
	}

	private Ownership heldOwnership() {
		if (!this.local.isHeldByCurrentThread()) {
			throw new IllegalMonitorStateException("Lock '" + this.key + "' is not held by the current thread");
		}
		Ownership current = this.ownership;
		if (current == null || !this.session.isValid(current.leaseId())) {
			throw new LockLostException(this.key, (current != null) ? current.token() : 0);
		}
		return current;
	}

	/**
	 * Whether another thread of this instance waits for the lock or is on its way to: the holder then
	 * keeps the etcd key for it. One that gives up releases the key (see {@link #endAcquire()}).
	 */
	private synchronized boolean othersAcquiring() {
		return this.acquiring > 0 || this.local.hasQueuedThreads();
	}

	private synchronized void beginAcquire() {
		this.acquiring++;
		this.registry.inUse(this, true);
	}

	private synchronized void endAcquire() {
		this.acquiring--;
		// an acquirer that gave up may have been the one a hold was kept for
		releaseIfAbandoned();
		releaseIfIdle();
	}

	private synchronized void releaseIfIdle() {
		// idle locks are only weakly reachable from the registry: it forgets unused keys
		if (this.acquiring == 0 && !this.local.isLocked() && this.ownership == null) {
			this.registry.inUse(this, false);
		}
	}

	@Override
	boolean acquire(long timeoutNanos) throws InterruptedException {
		long deadline = System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 2);
		beginAcquire();
		boolean acquired = false;
		try {
			acquired = (timeoutNanos == 0) ? this.local.tryLock()
					: this.local.tryLock(Math.min(timeoutNanos, Long.MAX_VALUE / 2), TimeUnit.NANOSECONDS);
			if (!acquired) {
				return false;
			}
			Ownership current;
			synchronized (this) {
				current = this.ownership;
			}
			if (this.local.getHoldCount() > 1) {
				if (current == null || !this.session.isValid(current.leaseId())) {
					this.local.unlock();
					acquired = false;
					throw new LockLostException(this.key, (current != null) ? current.token() : 0);
				}
				return true;
			}
			if (current == null || !this.session.isValid(current.leaseId())) {
				this.ownership = null;
				current = acquireInEtcd(deadline, timeoutNanos == 0);
				if (current == null) {
					this.local.unlock();
					acquired = false;
					return false;
				}
				this.ownership = current;
			}
			this.holder = Thread.currentThread();
			return true;
		}
		catch (InterruptedException | RuntimeException ex) {
			if (acquired && this.local.isHeldByCurrentThread()) {
				this.local.unlock();
			}
			throw ex;
		}
		finally {
			endAcquire();
		}
	}

	/**
	 * A holder that left the etcd key to this thread for a hand-off may have done so just as this
	 * thread gave up waiting: then nobody holds the lock here, but the key still holds it in etcd.
	 * Release it, unless another thread of this instance holds or waits for the lock.
	 */
	private void releaseIfAbandoned() {
		// under the monitor that acquirers read the ownership under: a hold is released only while
		// no thread of this instance holds, waits or is on its way to wait, and none can take it meanwhile
		synchronized (this) {
			Ownership abandoned = this.ownership;
			if (abandoned == null || this.acquiring > 0 || this.local.isLocked() || this.local.hasQueuedThreads()) {
				return;
			}
			this.ownership = null;
			release(abandoned);
		}
	}

	private Ownership acquireInEtcd(long deadline, boolean tryOnce) throws InterruptedException {
		// Lock's contract: an interrupt while waiting is an InterruptedException (lock() retries)
		return EtcdQueue.interruptibly(() -> queueInEtcd(deadline, tryOnce));
	}

	private Ownership queueInEtcd(long deadline, boolean tryOnce) throws InterruptedException {
		while (true) {
			long leaseId = this.queue.awaitSession(deadline, tryOnce);
			if (leaseId == 0) {
				return null;
			}
			String myKey = this.prefix + EtcdKeys.leaseHex(leaseId);
			// one round trip when uncontended: create the key and count the keys under the prefix together.
			// All keys counted in the same transaction are older than a key it creates, so a count of one
			// means that key holds. Counting reads no values: cheaper than Go's sorted read of the owner.
			Op queued = Op.get(EtcdKeys.bytes(this.prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build());
			TxnResponse created;
			try {
				created = this.etcd.txn("lock " + myKey, (txn) -> txn
					.If(new Cmp(EtcdKeys.bytes(myKey), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
					.Then(Op.put(EtcdKeys.bytes(myKey), EtcdKeys.bytes(""), PutOption.builder().withLeaseId(leaseId).build()),
							queued)
					.Else(Op.get(EtcdKeys.bytes(myKey), GetOption.DEFAULT)));
			}
			catch (EtcdAccessException ex) {
				// the create may still be applied: nobody of this instance holds the lock, so the key may go
				deleteQuietly(myKey);
				throw ex;
			}
			long token = created.isSucceeded() ? created.getHeader().getRevision()
					: created.getGetResponses().get(0).getKvs().get(0).getCreateRevision();
			if (!created.isSucceeded() && releasePending(myKey, token)) {
				// the key was a former hold whose release was still pending: it is gone now, queue anew
				continue;
			}
			Ownership candidate = new Ownership(leaseId, myKey, token);
			boolean owning = created.isSucceeded() && created.getGetResponses().get(0).getCount() == 1;
			try {
				// the session may have been lost during the last check: never report a lock that lives
				// on a lease that is not provably alive
				if ((owning || this.queue.await(leaseId, () -> predecessor(candidate), deadline, tryOnce))
						&& this.session.isValid(leaseId)) {
					return candidate;
				}
			}
			catch (InterruptedException | RuntimeException ex) {
				withdraw(candidate);
				throw ex;
			}
			if (this.session.isValid(leaseId)) {
				// timed out in the queue
				withdraw(candidate);
				return null;
			}
			// the session was lost while waiting: its key went with it; queue again on the next lease
		}
	}

	/**
	 * What the candidate waits for: the newest key under the prefix created before it.
	 */
	private EtcdQueue.Ahead predecessor(Ownership candidate) {
		GetResponse before = this.etcd.call("find predecessor of " + candidate.key(), () -> this.etcd.getClient()
			.getKVClient()
			.get(EtcdKeys.bytes(this.prefix), GetOption.builder()
				.isPrefix(true)
				.withMaxCreateRevision(candidate.token() - 1)
				.withSortField(GetOption.SortTarget.CREATE)
				.withSortOrder(GetOption.SortOrder.DESCEND)
				.withLimit(1)
				.withKeysOnly(true)
				.build()));
		return before.getKvs().isEmpty() ? null
				: new EtcdQueue.Ahead(before.getKvs().get(0).getKey(), null, before.getHeader().getRevision());
	}

	private void release(Ownership ownership) {
		if (!tryRelease(ownership)) {
			// a key left behind would hold the lock for as long as this instance lives: retry, unless
			// an acquisition of this instance adopts the key meanwhile (see queueInEtcd)
			synchronized (this) {
				this.pendingRelease = ownership;
			}
			retryRelease(ownership);
		}
	}

	private void retryRelease(Ownership ownership) {
		this.queue.retryWhileSessionLives(ownership.leaseId(), () -> {
			synchronized (this) {
				if (this.pendingRelease != ownership) {
					return true;
				}
				if (tryRelease(ownership)) {
					this.pendingRelease = null;
					return true;
				}
				return false;
			}
		});
	}

	/**
	 * Whether the existing key is a former hold of this instance whose release failed; if so, release
	 * it now, under the monitor the retries run under, so that no retry deletes a key adopted later.
	 * @throws EtcdAccessException when it still cannot be released
	 */
	private synchronized boolean releasePending(String key, long token) {
		Ownership pending = this.pendingRelease;
		if (pending == null || !pending.key().equals(key) || pending.token() != token) {
			return false;
		}
		if (!tryRelease(pending)) {
			throw new EtcdAccessException("lock " + key, "a former hold of this instance could not be released yet",
					null);
		}
		this.pendingRelease = null;
		return true;
	}

	private boolean tryRelease(Ownership ownership) {
		try {
			this.etcd.deleteIfCreatedAt(ownership.key(), ownership.token());
			return true;
		}
		catch (EtcdAccessException ex) {
			logger.warn("Could not delete lock key " + ownership.key() + " yet, retrying: " + ex.getMessage());
			return false;
		}
	}

	private void withdraw(Ownership candidate) {
		release(candidate);
	}

	private void deleteQuietly(String key) {
		boolean interrupted = Thread.interrupted();
		try {
			this.etcd.delete(key);
		}
		catch (EtcdAccessException ex) {
			logger.warn("Could not delete lock key " + key + " after a failed create; it goes with the session lease: "
					+ ex.getMessage());
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	@Override
	public String toString() {
		return "DistributedLock '" + this.key + "' (" + this.prefix + ")";
	}

	/**
	 * This instance's hold of the lock in etcd.
	 *
	 * @param leaseId the session lease the key lives on
	 * @param key the lock key of this instance
	 * @param token the key's create revision: the fencing token
	 * @param since when this instance acquired the key
	 * @param windowStart {@link System#nanoTime()} when the current hand-off window began
	 */
	record Ownership(long leaseId, String key, long token, Instant since, long windowStart) {

		Ownership(long leaseId, String key, long token) {
			this(leaseId, key, token, Instant.now(), System.nanoTime());
		}

		HeldLock held(String lockKey, int waitingThreads) {
			return new HeldLock(lockKey, HeldLock.Kind.LOCK, this.token, this.since, waitingThreads);
		}

		Ownership withNewWindow() {
			return new Ownership(this.leaseId, this.key, this.token, this.since, System.nanoTime());
		}

	}

}
