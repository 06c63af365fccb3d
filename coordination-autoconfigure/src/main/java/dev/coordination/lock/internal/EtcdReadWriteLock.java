package dev.coordination.lock.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedReadWriteLock;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockLostException;
import dev.coordination.session.internal.EtcdSession;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;

/**
 * {@link DistributedReadWriteLock} on the coordination session, with the layout of etcd's Go
 * {@code recipe.RWMutex}: readers write keys under {@code <prefix>/<key>/read/}, writers under
 * {@code <prefix>/<key>/write/}, each named {@code <leaseHex>-<registry>-<slot>}. A reader holds when no
 * write key older than its own is left, a writer when no key at all older than its own is left.
 * <p>
 * Locally a fair {@link ReentrantReadWriteLock} decides first, so this instance's readers share one
 * read key and at most one of its writers queues in etcd. New readers stop joining the shared read
 * key once a writer of another instance waits behind it, so readers do not starve writers. A writer
 * that takes the read lock reads under its write key. A reader skips this registry's own write keys:
 * the local lock only lets a reader in while no other thread of this instance writes, so such a key
 * is one whose release is still being retried.
 */
class EtcdReadWriteLock implements DistributedReadWriteLock, RegisteredLock {

	private final String key;

	private final String prefix;

	private final String readPrefix;

	private final String writePrefix;

	private final EtcdQueue queue;

	private final EtcdTemplate etcd;

	private final EtcdSession session;

	private final EtcdLockRegistry registry;

	private final ReentrantReadWriteLock local = new ReentrantReadWriteLock(true);

	// readers of this instance enter etcd one at a time: the first creates the read key, the others join it
	private final ReentrantLock readGate = new ReentrantLock(true);

	private final ThreadLocal<Hold> readHoldOfThread = new ThreadLocal<>();

	private final KeySlots slots = new KeySlots();

	private final ReadLock readLock = new ReadLock();

	private final WriteLock writeLock = new WriteLock();

	/**
	 * How long readers of this instance join its read key without asking etcd whether a writer of
	 * another instance waits behind it; if one does, later readers queue behind the writer.
	 */
	static final long JOIN_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	// guarded by this: the read key that new readers of this instance join, while no writer waits
	private Hold sharedRead;

	// guarded by this: every hold some thread uses
	private final Set<Hold> holds = new HashSet<>();

	// guarded by this: the hold the writing thread uses
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
		for (Hold hold : this.holds) {
			if (valid(hold)) {
				held.addAll(hold.held(this.key, this.local.getQueueLength()));
			}
		}
		return held;
	}

	@Override
	public synchronized List<HeldLock> sessionLost(long leaseId, boolean interruptHolders) {
		List<HeldLock> lost = new ArrayList<>();
		for (Hold hold : this.holds) {
			if (hold.entry.leaseId() == leaseId) {
				lost.addAll(hold.held(this.key, this.local.getQueueLength()));
				if (interruptHolders) {
					hold.interrupt();
				}
			}
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
		if (this.acquiring == 0 && this.holds.isEmpty()) {
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
				Hold hold = this.local.isWriteLockedByCurrentThread() ? downgrade() : joinOrCreateRead(deadline, tryOnce);
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

	/**
	 * The writing thread reads under its write key: a read key of its own would queue behind other
	 * instances' writers that queue behind the write key, and wait for ever.
	 */
	private synchronized Hold downgrade() {
		Hold hold = this.write;
		if (!valid(hold)) {
			throw lost(hold);
		}
		hold.readers.add(Thread.currentThread());
		return hold;
	}

	private Hold joinOrCreateRead(long deadline, boolean tryOnce) throws InterruptedException {
		Hold joined = joinWithinWindow();
		if (joined != null) {
			return joined;
		}
		if (!tryLocal(this.readGate, tryOnce ? 0 : Math.max(1, left(deadline)))) {
			return null;
		}
		try {
			joined = joinWithinWindow();
			if (joined != null) {
				return joined;
			}
			Hold shared;
			synchronized (this) {
				shared = valid(this.sharedRead) ? this.sharedRead : null;
			}
			if (shared != null) {
				boolean writerWaits = writerWaitsBehind(shared);
				synchronized (this) {
					if (this.sharedRead == shared && valid(shared)) {
						if (!writerWaits) {
							shared.joinWindowStart = System.nanoTime();
							shared.readers.add(Thread.currentThread());
							return shared;
						}
						// readers that keep joining would starve the writer: new readers queue behind it
						this.sharedRead = null;
					}
				}
			}
			EtcdQueue.Entry entry = EtcdQueue.interruptibly(() -> enter(false, deadline, tryOnce));
			if (entry == null) {
				return null;
			}
			synchronized (this) {
				Hold hold = new Hold(entry);
				hold.readers.add(Thread.currentThread());
				this.sharedRead = hold;
				this.holds.add(hold);
				return hold;
			}
		}
		finally {
			this.readGate.unlock();
		}
	}

	/**
	 * Join this instance's read key without asking etcd, within {@link #JOIN_WINDOW_NANOS} of its
	 * creation or of the last check that no writer waits behind it.
	 */
	private synchronized Hold joinWithinWindow() {
		Hold shared = this.sharedRead;
		if (valid(shared) && System.nanoTime() - shared.joinWindowStart < JOIN_WINDOW_NANOS) {
			shared.readers.add(Thread.currentThread());
			return shared;
		}
		return null;
	}

	private boolean writerWaitsBehind(Hold shared) {
		// etcd counts before it filters by revision: read the keys (at most one) instead of counting
		return !this.etcd.call("find writers behind " + shared.entry.key(), () -> this.etcd.getClient()
			.getKVClient()
			.get(EtcdKeys.bytes(this.writePrefix), GetOption.builder()
				.withRange(EtcdQueue.rangeEnd(this.writePrefix))
				.withMinCreateRevision(shared.entry.token() + 1)
				.withKeysOnly(true)
				.withLimit(1)
				.build()))
			.getKvs()
			.isEmpty();
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
			Hold unused;
			synchronized (this) {
				hold.readers.remove(Thread.currentThread());
				unused = forgetIfUnused(hold);
			}
			if (unused != null && valid) {
				this.queue.release(unused.entry);
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

	// guarded by this
	private Hold forgetIfUnused(Hold hold) {
		if (hold.writer != null || !hold.readers.isEmpty()) {
			return null;
		}
		this.holds.remove(hold);
		if (this.sharedRead == hold) {
			this.sharedRead = null;
		}
		return hold;
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
						Hold hold = new Hold(entry);
						hold.writer = Thread.currentThread();
						this.write = hold;
						this.holds.add(hold);
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
			Hold unused;
			synchronized (this) {
				this.write = null;
				hold.writer = null;
				// after a downgrade the thread still reads under the write key: it stays until the read ends
				unused = forgetIfUnused(hold);
			}
			if (unused != null && valid) {
				this.queue.release(unused.entry);
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
			// a writer counts every older key, a reader the older write keys
			String counted = write ? this.prefix : this.writePrefix;
			EtcdQueue.Created created = this.queue.create(write ? this.writePrefix : this.readPrefix, this.slots, leaseId,
					EtcdKeys.bytes(counted), EtcdQueue.rangeEnd(counted));
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
		String own = this.writePrefix + this.queue.ownKeyNamePrefix(entry.leaseId());
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
	 * A read or write key of this instance and the threads that use it: readers, and the writer while
	 * it writes. A writer that takes the read lock (a downgrade) reads under its write key.
	 */
	private static final class Hold {

		final EtcdQueue.Entry entry;

		// guarded by the lock's monitor
		final Set<Thread> readers = new HashSet<>();

		// guarded by the lock's monitor
		Thread writer;

		// guarded by the lock's monitor
		long joinWindowStart = System.nanoTime();

		Hold(EtcdQueue.Entry entry) {
			this.entry = entry;
		}

		List<HeldLock> held(String key, int waitingThreads) {
			List<HeldLock> held = new ArrayList<>(2);
			if (this.writer != null) {
				held.add(new HeldLock(key, HeldLock.Kind.WRITE, this.entry.token(), this.entry.since(), waitingThreads));
			}
			if (!this.readers.isEmpty()) {
				held.add(new HeldLock(key, HeldLock.Kind.READ, this.entry.token(), this.entry.since(), waitingThreads));
			}
			return held;
		}

		void interrupt() {
			this.readers.forEach(Thread::interrupt);
			if (this.writer != null) {
				this.writer.interrupt();
			}
		}

	}

	/**
	 * The read or the write lock.
	 */
	private abstract class Side extends AbstractDistributedLock {

		abstract Hold currentHold();

		@Override
		public String key() {
			return EtcdReadWriteLock.this.key;
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
		public WriteResult fencedWrite(FencedWrite write) {
			Hold hold = currentHold();
			if (hold == null) {
				throw new IllegalMonitorStateException(description() + " is not held by the current thread");
			}
			if (!valid(hold)) {
				throw lost(hold);
			}
			return EtcdReadWriteLock.this.etcd.fencedWrite(hold.entry.key(), hold.entry.token(), write);
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
			return "The read lock of '" + EtcdReadWriteLock.this.key + "'";
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
			return "The write lock of '" + EtcdReadWriteLock.this.key + "'";
		}

		@Override
		public void unlock() {
			unlockWrite();
		}

	}

}
