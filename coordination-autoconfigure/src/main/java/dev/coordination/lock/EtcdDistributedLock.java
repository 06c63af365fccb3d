package dev.coordination.lock;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdInterruptedException;
import dev.coordination.etcd.EtcdKeys;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.session.CoordinationSession;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
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
class EtcdDistributedLock implements DistributedLock {

	private static final Log logger = LogFactory.getLog(EtcdDistributedLock.class);

	private static final long SESSION_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	/**
	 * Hand-offs between threads of this instance before the etcd key is released anyway, so that
	 * other instances waiting in etcd are not starved by a busy instance.
	 */
	static final int MAX_LOCAL_HAND_OFFS = 8;

	private final String key;

	private final String prefix;

	private final EtcdTemplate etcd;

	private final CoordinationSession session;

	private final EtcdLockRegistry registry;

	private final ReentrantLock local = new ReentrantLock(true);

	private volatile Ownership ownership;

	private volatile Thread holder;

	// guarded by this: threads inside acquire()
	private int acquiring;

	// guarded by this: a hold whose release failed and is being retried
	private Ownership pendingRelease;

	EtcdDistributedLock(String key, String lockPrefix, EtcdTemplate etcd, CoordinationSession session,
			EtcdLockRegistry registry) {
		this.key = key;
		this.prefix = EtcdKeys.key(lockPrefix, EtcdKeys.segment("lock key", key)) + "/";
		this.etcd = etcd;
		this.session = session;
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
	public void lock() {
		boolean interrupted = false;
		while (true) {
			try {
				acquire(Long.MAX_VALUE);
				break;
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void lockInterruptibly() throws InterruptedException {
		acquire(Long.MAX_VALUE);
	}

	@Override
	public boolean tryLock() {
		try {
			return acquire(0);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	@Override
	public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
		return acquire(unit.toNanos(time));
	}

	@Override
	public <T> T executeLocked(Duration waitTime, LockedTask<T> task) throws Exception {
		if (!tryLock(waitTime.toNanos(), TimeUnit.NANOSECONDS)) {
			throw new LockNotAcquiredException(this.key, waitTime);
		}
		try {
			return task.run();
		}
		finally {
			unlock();
		}
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
			if (this.local.hasQueuedThreads() && current.handOffs() < MAX_LOCAL_HAND_OFFS) {
				// a thread of this instance waits: it takes the etcd key over without a round trip
				this.ownership = current.handedOff();
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

	@Override
	public Condition newCondition() {
		throw new UnsupportedOperationException("Distributed locks have no conditions");
	}

	/**
	 * Called on the session's thread when the lease {@code leaseId} is lost.
	 * @return the token of the lost hold, or {@code -1} when this lock was not held on that lease
	 */
	long sessionLost(long leaseId, boolean interruptHolder) {
		Ownership current = this.ownership;
		if (current == null || current.leaseId() != leaseId) {
			return -1;
		}
		Thread thread = this.holder;
		if (interruptHolder && thread != null) {
			thread.interrupt();
		}
		return current.token();
	}

	/**
	 * This instance's hold of the lock, if the session it lives on is valid.
	 * @return the hold, or {@code null}
	 */
	HeldLock held() {
		Ownership current = this.ownership;
		if (current == null || !this.session.isValid(current.leaseId())) {
			return null;
		}
		return new HeldLock(this.key, current.token(), current.since(), this.local.getQueueLength());
	}

	private synchronized void beginAcquire() {
		this.acquiring++;
		this.registry.inUse(this, true);
	}

	private synchronized void endAcquire() {
		this.acquiring--;
		releaseIfIdle();
	}

	private synchronized void releaseIfIdle() {
		// idle locks are only weakly reachable from the registry: it forgets unused keys
		if (this.acquiring == 0 && !this.local.isLocked() && this.ownership == null) {
			this.registry.inUse(this, false);
		}
	}

	private boolean acquire(long timeoutNanos) throws InterruptedException {
		long deadline = System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 2);
		beginAcquire();
		boolean acquired = false;
		try {
			acquired = (timeoutNanos == 0) ? this.local.tryLock()
					: this.local.tryLock(Math.min(timeoutNanos, Long.MAX_VALUE / 2), TimeUnit.NANOSECONDS);
			if (!acquired) {
				releaseIfAbandoned();
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
			else if (!acquired) {
				releaseIfAbandoned();
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
		// no thread of this instance holds or waits, and no acquirer can take it meanwhile
		synchronized (this) {
			Ownership abandoned = this.ownership;
			if (abandoned == null || this.local.isLocked() || this.local.hasQueuedThreads()) {
				return;
			}
			this.ownership = null;
			release(abandoned);
		}
	}

	private Ownership acquireInEtcd(long deadline, boolean tryOnce) throws InterruptedException {
		try {
			return queueInEtcd(deadline, tryOnce);
		}
		catch (EtcdInterruptedException ex) {
			// Lock's contract: an interrupt while waiting is an InterruptedException (lock() retries)
			Thread.interrupted();
			InterruptedException interrupted = new InterruptedException(ex.getMessage());
			interrupted.initCause(ex);
			throw interrupted;
		}
	}

	private Ownership queueInEtcd(long deadline, boolean tryOnce) throws InterruptedException {
		while (true) {
			long leaseId = awaitSession(deadline, tryOnce);
			if (leaseId == 0) {
				return null;
			}
			String myKey = this.prefix + EtcdKeys.leaseHex(leaseId);
			// one round trip when uncontended, as Go's Mutex: create the key and read the owner together
			Op owner = Op.get(EtcdKeys.bytes(this.prefix), GetOption.builder()
				.isPrefix(true)
				.withSortField(GetOption.SortTarget.CREATE)
				.withSortOrder(GetOption.SortOrder.ASCEND)
				.withLimit(1)
				.build());
			TxnResponse created;
			try {
				created = this.etcd.txn("lock " + myKey, (txn) -> txn
					.If(new Cmp(EtcdKeys.bytes(myKey), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
					.Then(Op.put(EtcdKeys.bytes(myKey), EtcdKeys.bytes(""), PutOption.builder().withLeaseId(leaseId).build()),
							owner)
					.Else(Op.get(EtcdKeys.bytes(myKey), GetOption.DEFAULT), owner));
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
			List<KeyValue> first = created.getGetResponses().get(created.getGetResponses().size() - 1).getKvs();
			boolean owning = !first.isEmpty() && first.get(0).getCreateRevision() == token;
			try {
				// the session may have been lost during the last check: never report a lock that lives
				// on a lease that is not provably alive
				if ((owning || awaitPredecessors(candidate, deadline, tryOnce)) && this.session.isValid(leaseId)) {
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

	private long awaitSession(long deadline, boolean tryOnce) throws InterruptedException {
		while (true) {
			long leaseId = this.session.leaseId();
			if (leaseId != 0 || tryOnce || deadline - System.nanoTime() <= 0) {
				return leaseId;
			}
			TimeUnit.NANOSECONDS.sleep(Math.min(SESSION_POLL_NANOS, deadline - System.nanoTime()));
		}
	}

	/**
	 * Wait until no key created before {@code candidate}'s is left under the prefix.
	 * @return {@code true} when the lock is held, {@code false} when the time ran out or the session
	 * was lost
	 */
	private boolean awaitPredecessors(Ownership candidate, long deadline, boolean tryOnce) throws InterruptedException {
		while (this.session.isValid(candidate.leaseId())) {
			GetResponse before = this.etcd.call("find predecessor of " + candidate.key(), () -> this.etcd.getClient()
				.getKVClient()
				.get(EtcdKeys.bytes(this.prefix), GetOption.builder()
					.isPrefix(true)
					.withMaxCreateRevision(candidate.token() - 1)
					.withSortField(GetOption.SortTarget.CREATE)
					.withSortOrder(GetOption.SortOrder.DESCEND)
					.withLimit(1)
					.build()));
			if (before.getKvs().isEmpty()) {
				return true;
			}
			if (tryOnce) {
				return false;
			}
			if (!awaitDeleted(before.getKvs().get(0), before.getHeader().getRevision(), candidate.leaseId(), deadline)) {
				return false;
			}
		}
		return false;
	}

	private boolean awaitDeleted(KeyValue predecessor, long revision, long leaseId, long deadline)
			throws InterruptedException {
		CompletableFuture<Void> deleted = new CompletableFuture<>();
		WatchOption option = WatchOption.builder().withRevision(revision + 1).withNoPut(true).build();
		try (Watch.Watcher watcher = this.etcd.getClient().getWatchClient().watch(predecessor.getKey(), option, (response) -> {
			if (response.getEvents().stream().anyMatch((event) -> event.getEventType() == WatchEvent.EventType.DELETE)) {
				deleted.complete(null);
			}
		}, deleted::completeExceptionally)) {
			// wake up at least every second to check the session, which a watch does not report
			long left = deadline - System.nanoTime();
			while (left > 0) {
				try {
					deleted.get(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
					return true;
				}
				catch (TimeoutException ex) {
					if (!this.session.isValid(leaseId)) {
						return true;
					}
				}
				catch (ExecutionException ex) {
					// the watch failed (compaction, closed): look for the predecessor again
					return true;
				}
				left = deadline - System.nanoTime();
			}
			return false;
		}
	}

	private void release(Ownership ownership) {
		if (!tryRelease(ownership)) {
			// a key left behind would hold the lock for as long as this instance lives: retry, unless
			// an acquisition of this instance adopts the key meanwhile (see queueInEtcd)
			synchronized (this) {
				this.pendingRelease = ownership;
			}
			retryRelease(ownership, 1);
		}
	}

	private void retryRelease(Ownership ownership, int attempt) {
		if (attempt > 5 || !this.session.isValid(ownership.leaseId())) {
			return;
		}
		CompletableFuture.delayedExecutor(attempt, TimeUnit.SECONDS).execute(() -> {
			synchronized (this) {
				if (this.pendingRelease != ownership) {
					return;
				}
				if (tryRelease(ownership)) {
					this.pendingRelease = null;
					return;
				}
			}
			retryRelease(ownership, attempt + 1);
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
	 */
	record Ownership(long leaseId, String key, long token, Instant since, int handOffs) {

		Ownership(long leaseId, String key, long token) {
			this(leaseId, key, token, Instant.now(), 0);
		}

		Ownership handedOff() {
			return new Ownership(this.leaseId, this.key, this.token, this.since, this.handOffs + 1);
		}

	}

}
