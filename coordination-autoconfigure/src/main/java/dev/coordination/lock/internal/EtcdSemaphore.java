package dev.coordination.lock.internal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedSemaphore;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockLostException;
import dev.coordination.lock.LockNotAcquiredException;
import dev.coordination.session.internal.EtcdSession;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;

/**
 * {@link DistributedSemaphore} on the coordination session: each permit is a unique key
 * {@code <prefix>/<key>/<leaseHex>-<registry>-<slot>} on the session lease, and a permit is held while
 * fewer than {@code permits} keys older than its own are left. Keys created later never get ahead,
 * so no more than {@code permits} are held at once. Interrupt-on-loss reaches only the thread running
 * {@link #executeWithPermit}'s task: other permits belong to no thread.
 * <p>
 * A waiter cannot know which older key will go first, so it watches the whole prefix for deletes
 * and counts again on each. Threads of this instance pass a fair local gate first: etcd sees at
 * most one waiter per instance.
 */
class EtcdSemaphore implements DistributedSemaphore, RegisteredLock {

	private final String key;

	private final int permits;

	private final String prefix;

	private final EtcdQueue queue;

	private final EtcdTemplate etcd;

	private final EtcdSession session;

	private final EtcdLockRegistry registry;

	private final ReentrantLock gate = new ReentrantLock(true);

	private final KeySlots slots = new KeySlots();

	private final Set<EtcdPermit> held = ConcurrentHashMap.newKeySet();

	// guarded by this: threads inside acquire()
	private int acquiring;

	EtcdSemaphore(String key, int permits, String semaphorePrefix, EtcdQueue queue, EtcdLockRegistry registry) {
		if (permits < 1) {
			throw new IllegalArgumentException(
					"Semaphore '" + key + "' needs at least 1 permit, got " + permits);
		}
		this.key = key;
		this.permits = permits;
		this.prefix = EtcdKeys.key(semaphorePrefix, EtcdKeys.segment("semaphore key", key)) + "/";
		this.queue = queue;
		this.etcd = queue.etcd();
		this.session = queue.session();
		this.registry = registry;
	}

	@Override
	public String key() {
		return this.key;
	}

	@Override
	public int permits() {
		return this.permits;
	}

	String keyPrefix() {
		return this.prefix;
	}

	@Override
	public Permit acquire() throws InterruptedException {
		return acquire(Long.MAX_VALUE).orElseThrow();
	}

	@Override
	public Optional<Permit> tryAcquire(Duration waitTime) throws InterruptedException {
		if (waitTime.isNegative()) {
			throw new IllegalArgumentException("The wait time for semaphore '" + this.key + "' must not be negative, got "
					+ waitTime);
		}
		return acquire(waitTime.toNanos());
	}

	@Override
	public <T> T executeWithPermit(Duration waitTime, DistributedLock.LockedTask<T> task) throws Exception {
		Optional<Permit> permit = tryAcquire(waitTime);
		if (permit.isEmpty()) {
			throw new LockNotAcquiredException(this.key, "No permit of semaphore '" + this.key + "' was acquired within "
					+ waitTime.toMillis() + " ms");
		}
		EtcdPermit held = (EtcdPermit) permit.get();
		held.user = Thread.currentThread();
		try (held) {
			return task.run();
		}
		finally {
			held.user = null;
		}
	}

	@Override
	public int availablePermits() {
		long used = this.etcd.call("count permits of " + this.prefix, () -> this.etcd.getClient()
			.getKVClient()
			.get(EtcdKeys.bytes(this.prefix),
					GetOption.builder().withRange(EtcdQueue.rangeEnd(this.prefix)).withCountOnly(true).build()))
			.getCount();
		return (int) Math.max(0, this.permits - used);
	}

	@Override
	public List<HeldLock> held() {
		return this.held.stream()
			.filter(EtcdPermit::isValid)
			.map((permit) -> permit.held(this.gate.getQueueLength()))
			.toList();
	}

	@Override
	public List<HeldLock> sessionLost(long leaseId, boolean interruptHolders) {
		return this.held.stream().filter((permit) -> permit.entry.leaseId() == leaseId).map((permit) -> {
			Thread user = permit.user;
			if (interruptHolders && user != null) {
				user.interrupt();
			}
			return permit.held(this.gate.getQueueLength());
		}).toList();
	}

	private Optional<Permit> acquire(long timeoutNanos) throws InterruptedException {
		long bounded = Math.min(timeoutNanos, Long.MAX_VALUE / 2);
		long deadline = System.nanoTime() + bounded;
		boolean tryOnce = timeoutNanos == 0;
		beginAcquire();
		try {
			if (!(tryOnce ? this.gate.tryLock() : this.gate.tryLock(bounded, TimeUnit.NANOSECONDS))) {
				return Optional.empty();
			}
			try {
				EtcdQueue.Entry entry = EtcdQueue.interruptibly(() -> enter(deadline, tryOnce));
				if (entry == null) {
					return Optional.empty();
				}
				EtcdPermit permit = new EtcdPermit(entry);
				this.held.add(permit);
				return Optional.of(permit);
			}
			finally {
				this.gate.unlock();
			}
		}
		finally {
			endAcquire();
		}
	}

	private EtcdQueue.Entry enter(long deadline, boolean tryOnce) throws InterruptedException {
		while (true) {
			long leaseId = this.queue.awaitSession(deadline, tryOnce);
			if (leaseId == 0) {
				return null;
			}
			EtcdQueue.Created created = this.queue.create(this.prefix, this.slots, leaseId, EtcdKeys.bytes(this.prefix),
					EtcdQueue.rangeEnd(this.prefix));
			EtcdQueue.Entry entry = created.entry();
			// the count includes the new key
			boolean holding = created.counted() <= this.permits;
			try {
				if ((holding || this.queue.await(leaseId, () -> ahead(entry), deadline, tryOnce))
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
	 * The whole prefix while {@code permits} or more keys are older than {@code entry}'s, else
	 * {@code null}.
	 */
	private EtcdQueue.Ahead ahead(EtcdQueue.Entry entry) {
		// etcd counts before it filters by revision: read the oldest keys (at most permits) instead of counting
		GetResponse before = this.etcd.call("find what is ahead of " + entry.key(), () -> this.etcd.getClient()
			.getKVClient()
			.get(EtcdKeys.bytes(this.prefix), GetOption.builder()
				.withRange(EtcdQueue.rangeEnd(this.prefix))
				.withMaxCreateRevision(entry.token() - 1)
				.withSortField(GetOption.SortTarget.CREATE)
				.withSortOrder(GetOption.SortOrder.ASCEND)
				.withLimit(this.permits)
				.withKeysOnly(true)
				.build()));
		return (before.getKvs().size() < this.permits) ? null : new EtcdQueue.Ahead(EtcdKeys.bytes(this.prefix),
				EtcdQueue.rangeEnd(this.prefix), before.getHeader().getRevision());
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
		if (this.acquiring == 0 && this.held.isEmpty()) {
			this.registry.inUse(this, false);
		}
	}

	@Override
	public String toString() {
		return "DistributedSemaphore '" + this.key + "' with " + this.permits + " permits (" + this.prefix + ")";
	}

	private final class EtcdPermit implements Permit {

		final EtcdQueue.Entry entry;

		// the thread running executeWithPermit's task: a permit is not owned by a thread otherwise
		volatile Thread user;

		private final AtomicBoolean released = new AtomicBoolean();

		EtcdPermit(EtcdQueue.Entry entry) {
			this.entry = entry;
		}

		@Override
		public long token() {
			return this.entry.token();
		}

		@Override
		public boolean isValid() {
			return !this.released.get() && EtcdSemaphore.this.session.isValid(this.entry.leaseId());
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			if (this.released.get()) {
				throw new IllegalStateException(
						"The permit of semaphore '" + EtcdSemaphore.this.key + "' (token " + token() + ") was released");
			}
			if (!isValid()) {
				throw new LockLostException(EtcdSemaphore.this.key, token());
			}
			return EtcdSemaphore.this.etcd.fencedWrite(this.entry.key(), this.entry.token(), write);
		}

		@Override
		public void release() {
			if (!this.released.compareAndSet(false, true)) {
				throw new IllegalStateException(
						"The permit of semaphore '" + EtcdSemaphore.this.key + "' (token " + token() + ") was released before");
			}
			boolean valid = EtcdSemaphore.this.session.isValid(this.entry.leaseId());
			try {
				if (valid) {
					EtcdSemaphore.this.queue.release(this.entry);
				}
			}
			finally {
				EtcdSemaphore.this.held.remove(this);
				releaseIfIdle();
			}
			if (!valid) {
				throw new LockLostException(EtcdSemaphore.this.key, token());
			}
		}

		@Override
		public void close() {
			release();
		}

		HeldLock held(int waitingThreads) {
			return new HeldLock(EtcdSemaphore.this.key, HeldLock.Kind.PERMIT, this.entry.token(), this.entry.since(),
					waitingThreads);
		}

		@Override
		public String toString() {
			return "Permit of semaphore '" + EtcdSemaphore.this.key + "' (token " + token() + ")";
		}

	}

}
