package dev.coordination.lock.internal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedSemaphore;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.internal.SessionKeyQueue.Entry;
import dev.coordination.lock.internal.SessionKeyQueue.Line;
import io.etcd.jetcd.options.GetOption;
import org.jspecify.annotations.Nullable;

/**
 * {@link DistributedSemaphore} on the coordination session: each permit is a unique key
 * {@code <prefix>/<key>/<leaseHex>-<registry>-<slot>} on the session lease, and a permit is held while
 * fewer than {@code permits} keys older than its own are left. Keys created later never get ahead,
 * so no more than {@code permits} are held at once. Threads of this instance pass a fair local gate
 * first: etcd sees at most one waiter per instance.
 * <p>
 * A permit belongs to no thread: any thread may release it, once; a lost one is invalid at once and
 * its release throws {@link dev.coordination.lock.LockLostException}. Interrupt-on-loss reaches only
 * the thread running {@link #executeWithPermit}'s task.
 */
class EtcdSemaphore extends RegisteredLock implements DistributedSemaphore {

	private final int permits;

	private final Line line;

	private final ReentrantLock gate = new ReentrantLock(true);

	private final Set<EtcdPermit> held = ConcurrentHashMap.newKeySet();

	EtcdSemaphore(String key, int permits, String semaphorePrefix, SessionKeyQueue queue, EtcdLockRegistry registry) {
		super("DistributedSemaphore", "semaphore key", key, semaphorePrefix, queue, registry);
		if (permits < 1) {
			throw new IllegalArgumentException("Semaphore '" + key + "' needs at least 1 permit, got " + permits);
		}
		this.permits = permits;
		this.line = new Line(keyPrefix(), new KeySlots(), keyPrefix(), permits, false);
	}

	@Override
	public int permits() {
		return this.permits;
	}

	@Override
	public Permit acquire() throws InterruptedException {
		return acquire(Long.MAX_VALUE).orElseThrow();
	}

	@Override
	public Optional<Permit> tryAcquire(Duration waitTime) throws InterruptedException {
		if (waitTime.isNegative()) {
			throw new IllegalArgumentException("The wait time for semaphore '" + key() + "' must not be negative, got "
					+ waitTime);
		}
		return acquire(waitTime.toNanos());
	}

	@Override
	public <T extends @Nullable Object> T executeWithPermit(Duration waitTime, DistributedLock.LockedTask<T> task)
			throws Exception {
		Optional<Permit> permit = tryAcquire(waitTime);
		if (permit.isEmpty()) {
			throw notAcquired("A permit of semaphore '" + key() + "'", waitTime);
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
		EtcdTemplate etcd = queue().etcd();
		long used = etcd.call("count permits of " + keyPrefix(), () -> etcd.getClient()
			.getKVClient()
			.get(EtcdKeys.bytes(keyPrefix()),
					GetOption.builder().withRange(SessionKeyQueue.rangeEnd(keyPrefix())).withCountOnly(true).build()))
			.getCount();
		return (int) Math.max(0, this.permits - used);
	}

	@Override
	List<HeldLock> held() {
		return this.held.stream()
			.filter(EtcdPermit::isValid)
			.map((permit) -> permit.entry.held(key(), HeldLock.Kind.PERMIT, this.gate.getQueueLength()))
			.toList();
	}

	@Override
	List<HeldLock> sessionLost(long leaseId, boolean interruptHolders) {
		return this.held.stream().filter((permit) -> permit.entry.leaseId() == leaseId).map((permit) -> {
			Thread user = permit.user;
			if (interruptHolders && user != null) {
				user.interrupt();
			}
			return permit.entry.held(key(), HeldLock.Kind.PERMIT, this.gate.getQueueLength());
		}).toList();
	}

	@Override
	boolean idle() {
		return this.held.isEmpty();
	}

	private Optional<Permit> acquire(long timeoutNanos) throws InterruptedException {
		Deadline deadline = Deadline.after(timeoutNanos);
		return acquisition(() -> {
			if (!deadline.tryLock(this.gate)) {
				return Optional.empty();
			}
			try {
				Entry entry = queue().enter(this.line, deadline);
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
		});
	}

	@Override
	public String toString() {
		return "DistributedSemaphore '" + key() + "' with " + this.permits + " permits (" + keyPrefix() + ")";
	}

	private final class EtcdPermit implements Permit {

		final Entry entry;

		// the thread running executeWithPermit's task: a permit is not owned by a thread otherwise
		volatile @Nullable Thread user;

		private final AtomicBoolean released = new AtomicBoolean();

		EtcdPermit(Entry entry) {
			this.entry = entry;
		}

		@Override
		public long token() {
			return this.entry.token();
		}

		@Override
		public boolean isValid() {
			return !this.released.get() && valid(this.entry);
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			if (this.released.get()) {
				throw new IllegalStateException(this + " was released");
			}
			if (!isValid()) {
				throw lost(this.entry);
			}
			return queue().etcd().fencedWrite(this.entry.key(), this.entry.token(), write);
		}

		@Override
		public void release() {
			if (!this.released.compareAndSet(false, true)) {
				throw new IllegalStateException(this + " was released before");
			}
			boolean valid = valid(this.entry);
			try {
				// a lost permit went with its lease
				queue().release(this.entry);
			}
			finally {
				EtcdSemaphore.this.held.remove(this);
				settle();
			}
			if (!valid) {
				throw lost(this.entry);
			}
		}

		@Override
		public void close() {
			release();
		}

		@Override
		public String toString() {
			return "The permit of semaphore '" + key() + "' (token " + token() + ")";
		}

	}

}
