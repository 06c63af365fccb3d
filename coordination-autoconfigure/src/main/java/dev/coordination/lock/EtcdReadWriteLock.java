package dev.coordination.lock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.UnaryOperator;

import dev.coordination.etcd.EtcdKeys;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.session.CoordinationSession;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Txn;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;

/**
 * {@link DistributedReadWriteLock} on the coordination session, with the layout of etcd's Go
 * {@code recipe.RWMutex}: readers write keys under {@code <prefix>/<key>/read/}, writers under
 * {@code <prefix>/<key>/write/}, each key unique ({@code <leaseHex>-<n>}). A reader holds when no
 * write key older than its own is left, a writer when no key at all older than its own is left.
 * <p>
 * Locally a fair {@link ReentrantReadWriteLock} decides first, so this instance's readers share one
 * read key and at most one of its writers queues in etcd. A reader skips this instance's own write
 * keys: the local lock only lets a reader in while no other thread of this instance writes, so such
 * a key is the reader's own (a downgrade) or one whose release is still being retried.
 */
class EtcdReadWriteLock implements DistributedReadWriteLock, RegisteredLock {

	private final String key;

	private final String prefix;

	private final String readPrefix;

	private final String writePrefix;

	private final EtcdQueue queue;

	private final EtcdTemplate etcd;

	private final CoordinationSession session;

	private final EtcdLockRegistry registry;

	private final ReentrantReadWriteLock local = new ReentrantReadWriteLock(true);

	// readers of this instance enter etcd one at a time: the first creates the read key, the others join it
	private final ReentrantLock readGate = new ReentrantLock(true);

	private final ThreadLocal<Hold> readHoldOfThread = new ThreadLocal<>();

	private final ReadLock readLock = new ReadLock();

	private final WriteLock writeLock = new WriteLock();

	// guarded by this: the read hold that new readers of this instance join
	private Hold sharedRead;

	// guarded by this: every read hold still used by a thread
	private final Set<Hold> readHolds = new HashSet<>();

	// guarded by this
	private Hold write;

	// guarded by this: threads inside an acquisition
	private int acquiring;

	EtcdReadWriteLock(String key, String lockPrefix, EtcdQueue queue, EtcdLockRegistry registry) {
		this.key = key;
		this.prefix = EtcdKeys.key(lockPrefix, EtcdKeys.segment("read-write lock key", key)) + "/";
		this.readPrefix = this.prefix + "read/";
		this.writePrefix = this.prefix + "write/";
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
	public DistributedLock readLock() {
		return this.readLock;
	}

	@Override
	public DistributedLock writeLock() {
		return this.writeLock;
	}

	@Override
	public synchronized List<HeldLock> held() {
		List<HeldLock> held = new ArrayList<>();
		for (Hold hold : this.readHolds) {
			if (this.session.isValid(hold.entry.leaseId())) {
				held.add(hold.held(this.key, HeldLock.Kind.READ, this.local.getQueueLength()));
			}
		}
		if (this.write != null && this.session.isValid(this.write.entry.leaseId())) {
			held.add(this.write.held(this.key, HeldLock.Kind.WRITE, this.local.getQueueLength()));
		}
		return held;
	}

	@Override
	public synchronized List<HeldLock> sessionLost(long leaseId, boolean interruptHolders) {
		List<HeldLock> lost = new ArrayList<>();
		for (Hold hold : this.readHolds) {
			if (hold.entry.leaseId() == leaseId) {
				lost.add(hold.held(this.key, HeldLock.Kind.READ, this.local.getQueueLength()));
				hold.interrupt(interruptHolders);
			}
		}
		if (this.write != null && this.write.entry.leaseId() == leaseId) {
			lost.add(this.write.held(this.key, HeldLock.Kind.WRITE, this.local.getQueueLength()));
			this.write.interrupt(interruptHolders);
		}
		return lost;
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
		if (this.acquiring == 0 && this.readHolds.isEmpty() && this.write == null) {
			this.registry.inUse(this, false);
		}
	}

	private boolean valid(Hold hold) {
		return hold != null && this.session.isValid(hold.entry.leaseId());
	}

	private static boolean tryLocal(Lock lock, long timeoutNanos) throws InterruptedException {
		return (timeoutNanos == 0) ? lock.tryLock() : lock.tryLock(timeoutNanos, TimeUnit.NANOSECONDS);
	}

	private static long deadline(long timeoutNanos) {
		return System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 2);
	}

	private static long left(long deadline) {
		return Math.max(0, deadline - System.nanoTime());
	}

	private boolean acquireRead(long timeoutNanos) throws InterruptedException {
		long deadline = deadline(timeoutNanos);
		boolean tryOnce = timeoutNanos == 0;
		beginAcquire();
		try {
			if (!tryLocal(this.local.readLock(), Math.min(timeoutNanos, Long.MAX_VALUE / 2))) {
				return false;
			}
			boolean acquired = false;
			try {
				if (this.local.getReadHoldCount() > 1) {
					Hold hold = this.readHoldOfThread.get();
					if (!valid(hold)) {
						throw lost(hold);
					}
					acquired = true;
					return true;
				}
				Hold hold = joinOrCreateRead(deadline, tryOnce);
				if (hold != null) {
					this.readHoldOfThread.set(hold);
					acquired = true;
				}
				return acquired;
			}
			finally {
				if (!acquired) {
					this.local.readLock().unlock();
				}
			}
		}
		finally {
			endAcquire();
		}
	}

	private Hold joinOrCreateRead(long deadline, boolean tryOnce) throws InterruptedException {
		if (!tryLocal(this.readGate, tryOnce ? 0 : Math.max(1, left(deadline)))) {
			return null;
		}
		try {
			synchronized (this) {
				Hold shared = this.sharedRead;
				if (valid(shared)) {
					shared.threads.add(Thread.currentThread());
					return shared;
				}
			}
			EtcdQueue.Entry entry = EtcdQueue.interruptibly(() -> enter(false, deadline, tryOnce));
			if (entry == null) {
				return null;
			}
			synchronized (this) {
				Hold hold = new Hold(entry);
				hold.threads.add(Thread.currentThread());
				this.sharedRead = hold;
				this.readHolds.add(hold);
				return hold;
			}
		}
		finally {
			this.readGate.unlock();
		}
	}

	private void unlockRead() {
		if (this.local.getReadHoldCount() == 0) {
			throw new IllegalMonitorStateException(
					"The read lock of '" + this.key + "' is not held by the current thread");
		}
		Hold hold = this.readHoldOfThread.get();
		boolean valid = valid(hold);
		if (this.local.getReadHoldCount() > 1) {
			this.local.readLock().unlock();
			if (!valid) {
				throw lost(hold);
			}
			return;
		}
		this.readHoldOfThread.remove();
		try {
			Hold last = null;
			synchronized (this) {
				hold.threads.remove(Thread.currentThread());
				if (hold.threads.isEmpty()) {
					this.readHolds.remove(hold);
					if (this.sharedRead == hold) {
						this.sharedRead = null;
					}
					last = hold;
				}
			}
			if (last != null && valid) {
				this.queue.release(last.entry);
			}
		}
		finally {
			this.local.readLock().unlock();
			releaseIfIdle();
		}
		if (!valid) {
			throw lost(hold);
		}
	}

	private boolean acquireWrite(long timeoutNanos) throws InterruptedException {
		long deadline = deadline(timeoutNanos);
		boolean tryOnce = timeoutNanos == 0;
		beginAcquire();
		try {
			if (!tryLocal(this.local.writeLock(), Math.min(timeoutNanos, Long.MAX_VALUE / 2))) {
				return false;
			}
			boolean acquired = false;
			try {
				if (this.local.getWriteHoldCount() > 1) {
					Hold hold;
					synchronized (this) {
						hold = this.write;
					}
					if (!valid(hold)) {
						throw lost(hold);
					}
					acquired = true;
					return true;
				}
				EtcdQueue.Entry entry = EtcdQueue.interruptibly(() -> enter(true, deadline, tryOnce));
				if (entry != null) {
					synchronized (this) {
						this.write = new Hold(entry);
						this.write.threads.add(Thread.currentThread());
					}
					acquired = true;
				}
				return acquired;
			}
			finally {
				if (!acquired) {
					this.local.writeLock().unlock();
				}
			}
		}
		finally {
			endAcquire();
		}
	}

	private void unlockWrite() {
		if (!this.local.isWriteLockedByCurrentThread()) {
			throw new IllegalMonitorStateException(
					"The write lock of '" + this.key + "' is not held by the current thread");
		}
		Hold hold;
		synchronized (this) {
			hold = this.write;
		}
		boolean valid = valid(hold);
		if (this.local.getWriteHoldCount() > 1) {
			this.local.writeLock().unlock();
			if (!valid) {
				throw lost(hold);
			}
			return;
		}
		try {
			synchronized (this) {
				this.write = null;
			}
			if (valid) {
				this.queue.release(hold.entry);
			}
		}
		finally {
			this.local.writeLock().unlock();
			releaseIfIdle();
		}
		if (!valid) {
			throw lost(hold);
		}
	}

	/**
	 * Queue a read or write key in etcd and wait for its turn.
	 * @return the held entry, or {@code null} when the time ran out
	 */
	private EtcdQueue.Entry enter(boolean write, long deadline, boolean tryOnce) throws InterruptedException {
		while (true) {
			long leaseId = this.queue.awaitSession(deadline, tryOnce);
			if (leaseId == 0) {
				return null;
			}
			String myKey = (write ? this.writePrefix : this.readPrefix) + EtcdKeys.leaseHex(leaseId) + "-"
					+ this.registry.nextSequence();
			// a writer counts every older key, a reader the older write keys
			String counted = write ? this.prefix : this.writePrefix;
			EtcdQueue.Created created = this.queue.create(myKey, leaseId, EtcdKeys.bytes(counted),
					EtcdQueue.rangeEnd(counted));
			EtcdQueue.Entry entry = created.entry();
			boolean holding = created.counted() == (write ? 1 : 0);
			try {
				if ((holding || this.queue.await(leaseId, () -> ahead(entry, write), deadline, tryOnce))
						&& this.session.isValid(leaseId)) {
					return entry;
				}
			}
			catch (InterruptedException | RuntimeException ex) {
				this.queue.release(entry);
				throw ex;
			}
			if (this.session.isValid(leaseId)) {
				this.queue.release(entry);
				return null;
			}
			// the session was lost while waiting: its key went with it; queue again on the next lease
		}
	}

	/**
	 * The newest key ahead of {@code entry} that excludes it, or {@code null} when none is left.
	 */
	private EtcdQueue.Ahead ahead(EtcdQueue.Entry entry, boolean write) {
		String range = write ? this.prefix : this.writePrefix;
		String own = this.writePrefix + EtcdKeys.leaseHex(entry.leaseId()) + "-";
		GetResponse before = this.etcd.call("find what is ahead of " + entry.key(), () -> this.etcd.getClient()
			.getKVClient()
			.get(EtcdKeys.bytes(range), GetOption.builder()
				.withRange(EtcdQueue.rangeEnd(range))
				.withMaxCreateRevision(entry.token() - 1)
				.withSortField(GetOption.SortTarget.CREATE)
				.withSortOrder(GetOption.SortOrder.DESCEND)
				.withKeysOnly(true)
				.build()));
		for (KeyValue kv : before.getKvs()) {
			if (write || !kv.getKey().startsWith(EtcdKeys.bytes(own))) {
				return new EtcdQueue.Ahead(kv.getKey(), null, before.getHeader().getRevision());
			}
		}
		return null;
	}

	private LockLostException lost(Hold hold) {
		return new LockLostException(this.key, (hold != null) ? hold.entry.token() : 0);
	}

	@Override
	public String toString() {
		return "DistributedReadWriteLock '" + this.key + "' (" + this.prefix + ")";
	}

	/**
	 * A read or write key of this instance and the threads that hold it.
	 */
	private static final class Hold {

		final EtcdQueue.Entry entry;

		// guarded by the lock's monitor
		final Set<Thread> threads = new HashSet<>();

		Hold(EtcdQueue.Entry entry) {
			this.entry = entry;
		}

		HeldLock held(String key, HeldLock.Kind kind, int waitingThreads) {
			return new HeldLock(key, kind, this.entry.token(), this.entry.since(), waitingThreads);
		}

		void interrupt(boolean interrupt) {
			if (interrupt) {
				this.threads.forEach(Thread::interrupt);
			}
		}

	}

	/**
	 * The two sides share the {@link DistributedLock} helpers.
	 */
	private abstract class Side implements DistributedLock {

		abstract boolean acquire(long timeoutNanos) throws InterruptedException;

		abstract Hold currentHold();

		abstract String description();

		@Override
		public String key() {
			return EtcdReadWriteLock.this.key;
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
		public boolean isHeldByCurrentThread() {
			return valid(currentHold());
		}

		@Override
		public OptionalLong fencingToken() {
			Hold hold = currentHold();
			return valid(hold) ? OptionalLong.of(hold.entry.token()) : OptionalLong.empty();
		}

		@Override
		public boolean fencedTxn(Op... operations) {
			return fencedTxn((txn) -> txn.Then(operations)).isSucceeded();
		}

		@Override
		public TxnResponse fencedTxn(UnaryOperator<Txn> transaction) {
			Hold hold = currentHold();
			if (hold == null) {
				throw new IllegalMonitorStateException(description() + " is not held by the current thread");
			}
			if (!valid(hold)) {
				throw lost(hold);
			}
			return EtcdReadWriteLock.this.etcd.txnIfCreatedAt(hold.entry.key(), hold.entry.token(), transaction);
		}

		@Override
		public <T> T executeLocked(Duration waitTime, LockedTask<T> task) throws Exception {
			if (!tryLock(waitTime.toNanos(), TimeUnit.NANOSECONDS)) {
				throw new LockNotAcquiredException(key(),
						"The " + description() + " was not acquired within " + waitTime.toMillis() + " ms");
			}
			try {
				return task.run();
			}
			finally {
				unlock();
			}
		}

		@Override
		public Condition newCondition() {
			throw new UnsupportedOperationException("Distributed locks have no conditions");
		}

		@Override
		public String toString() {
			return description() + " (" + EtcdReadWriteLock.this.prefix + ")";
		}

	}

	private final class ReadLock extends Side {

		@Override
		boolean acquire(long timeoutNanos) throws InterruptedException {
			return acquireRead(timeoutNanos);
		}

		@Override
		Hold currentHold() {
			return (EtcdReadWriteLock.this.local.getReadHoldCount() > 0) ? EtcdReadWriteLock.this.readHoldOfThread.get()
					: null;
		}

		@Override
		String description() {
			return "read lock of '" + EtcdReadWriteLock.this.key + "'";
		}

		@Override
		public void unlock() {
			unlockRead();
		}

	}

	private final class WriteLock extends Side {

		@Override
		boolean acquire(long timeoutNanos) throws InterruptedException {
			return acquireWrite(timeoutNanos);
		}

		@Override
		Hold currentHold() {
			if (!EtcdReadWriteLock.this.local.isWriteLockedByCurrentThread()) {
				return null;
			}
			synchronized (EtcdReadWriteLock.this) {
				return EtcdReadWriteLock.this.write;
			}
		}

		@Override
		String description() {
			return "write lock of '" + EtcdReadWriteLock.this.key + "'";
		}

		@Override
		public void unlock() {
			unlockWrite();
		}

	}

}
