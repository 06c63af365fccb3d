package dev.coordination.lock.internal;

import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.internal.SessionKeyQueue.Entry;
import org.jspecify.annotations.Nullable;

/**
 * {@link DistributedLock} on the coordination session, with the key layout of etcd's Go
 * {@code concurrency.Mutex}: this instance writes {@code <prefix>/<key>/<leaseHex>} on its session
 * lease, the key with the lowest create revision holds, and a waiter watches only the key just
 * before its own (no herd effect). {@code etcdctl lock} and Go services exclude with it.
 * <p>
 * Threads of this instance queue first on a fair local lock, so etcd sees one waiter per instance,
 * and a hand-off between threads of this instance keeps the etcd key: no round trip, and the
 * fencing token stays that of the instance's hold. A hand-off happens only while a thread of this
 * instance waits or is on its way to wait, and, past the {@link SharedHold hand-off window}, only
 * while no other instance queues behind the key, so that a busy instance does not starve the
 * others. A waiter that times out or is interrupted deletes its own key; a hold kept for a thread
 * that gave up at that moment is released. Guarantees are those of {@link AbstractDistributedLock}.
 */
class EtcdDistributedLock extends RegisteredLock {

	private final SessionKeyQueue.Line line;

	private final ReentrantLock local = new ReentrantLock(true);

	private final Exclusive lock = new Exclusive();

	// written by the thread holding the local lock, or under this with the local lock free
	private volatile @Nullable SharedHold ownership;

	private volatile @Nullable Thread holder;

	EtcdDistributedLock(String key, String lockPrefix, SessionKeyQueue queue, EtcdLockRegistry registry) {
		super("DistributedLock", "lock key", key, lockPrefix, queue, registry);
		this.line = SessionKeyQueue.Line.mutex(keyPrefix());
	}

	/**
	 * The lock users program against.
	 * @return the lock
	 */
	DistributedLock lock() {
		return this.lock;
	}

	@Override
	List<HeldLock> sessionLost(long leaseId, boolean interruptHolders) {
		SharedHold current = this.ownership;
		if (current == null || current.entry().leaseId() != leaseId) {
			return List.of();
		}
		Thread thread = this.holder;
		if (interruptHolders && thread != null) {
			thread.interrupt();
		}
		return List.of(current.entry().held(key(), HeldLock.Kind.LOCK, this.local.getQueueLength()));
	}

	@Override
	List<HeldLock> held() {
		SharedHold current = this.ownership;
		if (current == null || !valid(current.entry())) {
			return List.of();
		}
		return List.of(current.entry().held(key(), HeldLock.Kind.LOCK, this.local.getQueueLength()));
	}

	@Override
	boolean idle() {
		return !this.local.isLocked() && this.ownership == null;
	}

	/**
	 * A holder that left the etcd key to a thread of this instance for a hand-off may have done so
	 * just as that thread gave up waiting: then nobody holds the lock here, but the key still holds
	 * it in etcd. Released under the monitor that acquirers read the ownership under: only while no
	 * thread of this instance holds, waits or is on its way to wait, and none can take it meanwhile.
	 */
	@Override
	void releaseAbandoned() {
		SharedHold abandoned = this.ownership;
		if (abandoned == null || acquiring() || this.local.isLocked() || this.local.hasQueuedThreads()) {
			return;
		}
		this.ownership = null;
		queue().release(abandoned.entry());
	}

	/**
	 * Whether another thread of this instance waits for the lock or is on its way to: the holder then
	 * keeps the etcd key for it. One that gives up releases the key (see {@link #releaseAbandoned()}).
	 */
	private synchronized boolean othersAcquiring() {
		return acquiring() || this.local.hasQueuedThreads();
	}

	/**
	 * The lock of this key as its users see it.
	 */
	private final class Exclusive extends AbstractDistributedLock {

		@Override
		RegisteredLock owner() {
			return EtcdDistributedLock.this;
		}

		@Override
		Lock local() {
			return EtcdDistributedLock.this.local;
		}

		@Override
		int holdCount() {
			return EtcdDistributedLock.this.local.getHoldCount();
		}

		@Override
		@Nullable Entry heldEntry() {
			SharedHold current = EtcdDistributedLock.this.ownership;
			return (EtcdDistributedLock.this.local.isHeldByCurrentThread() && current != null) ? current.entry() : null;
		}

		@Override
		boolean acquireFirst(Deadline deadline) throws InterruptedException {
			SharedHold current;
			synchronized (EtcdDistributedLock.this) {
				current = EtcdDistributedLock.this.ownership;
			}
			// a valid hold was kept for this thread by a hand-off: take it over
			if (current == null || !valid(current.entry())) {
				EtcdDistributedLock.this.ownership = null;
				Entry entry = queue().enter(EtcdDistributedLock.this.line, deadline);
				if (entry == null) {
					return false;
				}
				EtcdDistributedLock.this.ownership = new SharedHold(entry);
			}
			EtcdDistributedLock.this.holder = Thread.currentThread();
			return true;
		}

		@Override
		void releaseLast(boolean valid) {
			SharedHold current = EtcdDistributedLock.this.ownership;
			EtcdDistributedLock.this.holder = null;
			if (valid && current != null && othersAcquiring() && current.mayPassOn(queue(), keyPrefix())) {
				// a thread of this instance waits: it takes the etcd key over without a round trip
				return;
			}
			// nobody waits here, or other instances have waited long enough: let them in
			EtcdDistributedLock.this.ownership = null;
			if (current != null) {
				queue().release(current.entry());
			}
		}

		@Override
		String description() {
			return "Lock '" + key() + "'";
		}

		@Override
		public String toString() {
			return EtcdDistributedLock.this.toString();
		}

	}

}
