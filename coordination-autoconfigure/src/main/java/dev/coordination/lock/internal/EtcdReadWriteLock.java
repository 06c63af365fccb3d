package dev.coordination.lock.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedReadWriteLock;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.internal.SessionKeyQueue.Entry;
import dev.coordination.lock.internal.SessionKeyQueue.Line;
import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * {@link DistributedReadWriteLock} on the coordination session, with the layout of etcd's Go
 * {@code recipe.RWMutex}: readers write keys under {@code <prefix>/<key>/read/}, writers under
 * {@code <prefix>/<key>/write/}, each named {@code <leaseHex>-<registry>-<slot>}. A reader holds when no
 * write key older than its own is left, a writer when no key at all older than its own is left.
 * <p>
 * Locally a fair {@link ReentrantReadWriteLock} decides first, so this instance's readers share one
 * read key and at most one of its writers queues in etcd. New readers stop joining the shared read
 * key once a writer waits behind it (looked at after each {@link SharedHold hand-off window}), so
 * readers do not starve writers. A writer that takes the read lock reads under its write key. A
 * reader skips this registry's own write keys: the local lock only lets a reader in while no other
 * thread of this instance writes, so such a key is one whose release is still being retried.
 * Guarantees of both sides are those of {@link AbstractDistributedLock}.
 */
class EtcdReadWriteLock extends RegisteredLock implements DistributedReadWriteLock {

	private final String writePrefix;

	private final Line readLine;

	private final Line writeLine;

	private final ReentrantReadWriteLock local = new ReentrantReadWriteLock(true);

	// readers of this instance enter etcd one at a time: the first creates the read key, the others join it
	private final ReentrantLock readGate = new ReentrantLock(true);

	private final ThreadLocal<@Nullable Hold> readHoldOfThread = new ThreadLocal<>();

	private final ReadLock readLock = new ReadLock();

	private final WriteLock writeLock = new WriteLock();

	// guarded by this: the read key that new readers of this instance join, while no writer waits
	private @Nullable Hold sharedRead;

	// guarded by this: every hold some thread uses
	private final Set<Hold> holds = new HashSet<>();

	// guarded by this: the hold the writing thread uses
	private @Nullable Hold write;

	EtcdReadWriteLock(String key, String lockPrefix, SessionKeyQueue queue, EtcdLockRegistry registry) {
		super("DistributedReadWriteLock", "read-write lock key", key, lockPrefix, queue, registry);
		this.writePrefix = keyPrefix() + "write/";
		KeySlots slots = new KeySlots();
		// a reader waits for older write keys, a writer for every older key
		this.readLine = new Line(keyPrefix() + "read/", slots, this.writePrefix, 1, true);
		this.writeLine = new Line(this.writePrefix, slots, keyPrefix(), 1, false);
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
	synchronized List<HeldLock> held() {
		List<HeldLock> held = new ArrayList<>();
		for (Hold hold : this.holds) {
			if (valid(hold.entry())) {
				held.addAll(hold.held(key(), this.local.getQueueLength()));
			}
		}
		return held;
	}

	@Override
	synchronized List<HeldLock> sessionLost(long leaseId, boolean interruptHolders) {
		List<HeldLock> lost = new ArrayList<>();
		for (Hold hold : this.holds) {
			if (hold.entry().leaseId() == leaseId) {
				lost.addAll(hold.held(key(), this.local.getQueueLength()));
				if (interruptHolders) {
					hold.interrupt();
				}
			}
		}
		return lost;
	}

	@Override
	boolean idle() {
		return this.holds.isEmpty();
	}

	/**
	 * The writing thread reads under its write key: a read key of its own would queue behind other
	 * instances' writers that queue behind the write key, and wait for ever.
	 */
	private synchronized Hold downgrade() {
		Hold hold = this.write;
		if (hold == null || !valid(hold.entry())) {
			throw lost((hold != null) ? hold.entry() : null);
		}
		hold.readers.add(Thread.currentThread());
		return hold;
	}

	private @Nullable Hold joinOrCreateRead(Deadline deadline) throws InterruptedException {
		Hold joined = joinWithinWindow();
		if (joined != null) {
			return joined;
		}
		if (!deadline.tryLock(this.readGate)) {
			return null;
		}
		try {
			joined = joinWithinWindow();
			if (joined != null) {
				return joined;
			}
			Hold shared;
			synchronized (this) {
				shared = this.sharedRead;
			}
			if (shared != null && valid(shared.entry())) {
				// a read key is given up once a writer waits behind it
				boolean join = shared.mayPassOn(queue(), this.writePrefix);
				synchronized (this) {
					if (this.sharedRead == shared && valid(shared.entry())) {
						if (join) {
							shared.readers.add(Thread.currentThread());
							return shared;
						}
						// readers that keep joining would starve the writer: new readers queue behind it
						this.sharedRead = null;
					}
				}
			}
			Entry entry = queue().enter(this.readLine, deadline);
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
	 * Join this instance's read key without asking etcd, within the hand-off window of its creation
	 * or of the last look whether a writer waits behind it.
	 */
	private synchronized @Nullable Hold joinWithinWindow() {
		Hold shared = this.sharedRead;
		if (shared != null && valid(shared.entry()) && shared.isWindowOpen()) {
			shared.readers.add(Thread.currentThread());
			return shared;
		}
		return null;
	}

	/**
	 * Forget a hold that no thread uses any more, and give its key up; a lost one went with its
	 * lease.
	 */
	private void releaseIfUnused(Hold hold) {
		synchronized (this) {
			// the last of its users gives it up, once
			if (hold.writer != null || !hold.readers.isEmpty() || !this.holds.remove(hold)) {
				return;
			}
			if (this.sharedRead == hold) {
				this.sharedRead = null;
			}
		}
		queue().release(hold.entry());
	}

	/**
	 * A read or write key of this instance and the threads that use it: readers, and the writer while
	 * it writes. A writer that takes the read lock (a downgrade) reads under its write key.
	 */
	private final class Hold extends SharedHold {

		// guarded by the lock's monitor
		final Set<Thread> readers = new HashSet<>();

		// guarded by the lock's monitor
		@Nullable Thread writer;

		Hold(Entry entry) {
			super(entry);
		}

		List<HeldLock> held(String key, int waitingThreads) {
			List<HeldLock> held = new ArrayList<>(2);
			if (this.writer != null) {
				held.add(entry().held(key, HeldLock.Kind.WRITE, waitingThreads));
			}
			if (!this.readers.isEmpty()) {
				held.add(entry().held(key, HeldLock.Kind.READ, waitingThreads));
			}
			return held;
		}

		void interrupt() {
			this.readers.forEach(Thread::interrupt);
			Thread thread = this.writer;
			if (thread != null) {
				thread.interrupt();
			}
		}

	}

	/**
	 * The read or the write lock, on its side of the local read-write lock.
	 */
	private abstract class Side extends AbstractDistributedLock {

		private final Lock local;

		Side(Lock local) {
			this.local = local;
		}

		@Override
		RegisteredLock owner() {
			return EtcdReadWriteLock.this;
		}

		@Override
		Lock local() {
			return this.local;
		}

	}

	/**
	 * The read lock: shared by the readers of every instance.
	 */
	private final class ReadLock extends Side {

		ReadLock() {
			super(EtcdReadWriteLock.this.local.readLock());
		}

		@Override
		int holdCount() {
			return EtcdReadWriteLock.this.local.getReadHoldCount();
		}

		@Override
		@Nullable Entry heldEntry() {
			Hold hold = EtcdReadWriteLock.this.readHoldOfThread.get();
			return (holdCount() > 0 && hold != null) ? hold.entry() : null;
		}

		@Override
		boolean acquireFirst(Deadline deadline) throws InterruptedException {
			Hold hold = EtcdReadWriteLock.this.local.isWriteLockedByCurrentThread() ? downgrade()
					: joinOrCreateRead(deadline);
			if (hold == null) {
				return false;
			}
			EtcdReadWriteLock.this.readHoldOfThread.set(hold);
			return true;
		}

		@Override
		void releaseLast(boolean valid) {
			Hold hold = EtcdReadWriteLock.this.readHoldOfThread.get();
			Assert.state(hold != null, "The current thread holds the read lock, yet has no read hold");
			EtcdReadWriteLock.this.readHoldOfThread.remove();
			synchronized (EtcdReadWriteLock.this) {
				hold.readers.remove(Thread.currentThread());
			}
			releaseIfUnused(hold);
		}

		@Override
		String description() {
			return "The read lock of '" + key() + "'";
		}

	}

	/**
	 * The write lock: one writer of all instances, and no reader beside it.
	 */
	private final class WriteLock extends Side {

		WriteLock() {
			super(EtcdReadWriteLock.this.local.writeLock());
		}

		@Override
		int holdCount() {
			return EtcdReadWriteLock.this.local.getWriteHoldCount();
		}

		@Override
		@Nullable Entry heldEntry() {
			if (holdCount() == 0) {
				return null;
			}
			synchronized (EtcdReadWriteLock.this) {
				Hold hold = EtcdReadWriteLock.this.write;
				return (hold != null) ? hold.entry() : null;
			}
		}

		@Override
		boolean acquireFirst(Deadline deadline) throws InterruptedException {
			Entry entry = queue().enter(EtcdReadWriteLock.this.writeLine, deadline);
			if (entry == null) {
				return false;
			}
			synchronized (EtcdReadWriteLock.this) {
				Hold hold = new Hold(entry);
				hold.writer = Thread.currentThread();
				EtcdReadWriteLock.this.write = hold;
				EtcdReadWriteLock.this.holds.add(hold);
			}
			return true;
		}

		@Override
		void releaseLast(boolean valid) {
			Hold hold;
			synchronized (EtcdReadWriteLock.this) {
				hold = EtcdReadWriteLock.this.write;
				Assert.state(hold != null, "The current thread holds the write lock, yet there is no write hold");
				EtcdReadWriteLock.this.write = null;
				// after a downgrade the thread still reads under the write key: it stays until the read ends
				hold.writer = null;
			}
			releaseIfUnused(hold);
		}

		@Override
		String description() {
			return "The write lock of '" + key() + "'";
		}

	}

}
