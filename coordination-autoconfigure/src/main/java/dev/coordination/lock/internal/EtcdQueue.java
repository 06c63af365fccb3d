package dev.coordination.lock.internal;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdInterruptedException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationThreads;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.session.internal.EtcdSession;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
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
 * The etcd side of every lock kind: a contender writes a key of its own on the session lease, and
 * waits, watching only what stands ahead of it, until nothing that excludes it is left with a lower
 * create revision. Keys created after it can never get ahead of it.
 */
final class EtcdQueue {

	private static final Log logger = LogFactory.getLog(EtcdQueue.class);

	private static final long SESSION_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	// a create applied after its timeout is deleted by this many later attempts
	private static final int ABANDONED_DELETES = 4;

	// blocking etcd calls of background retries: one daemon thread, never the common pool
	private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(CoordinationThreads.daemon("coordination-lock-release"));

	private final EtcdTemplate etcd;

	private final EtcdSession session;

	// names the keys of this registry: two registries on one session never share a key name
	private final String id = String.format("%08x", new SecureRandom().nextInt());

	// keys deleted without a revision check after a failed create: their names are not reused meanwhile
	private final Set<String> abandoned = ConcurrentHashMap.newKeySet();

	private final RetryPolicy retry;

	EtcdQueue(EtcdTemplate etcd, EtcdSession session, RetryPolicy retry) {
		this.retry = retry;
		this.etcd = etcd;
		this.session = session;
	}

	EtcdTemplate etcd() {
		return this.etcd;
	}

	EtcdSession session() {
		return this.session;
	}

	/**
	 * The current session lease, waiting for one until {@code deadline} unless {@code tryOnce}.
	 * @return the lease, or {@code 0} when there is none in time
	 */
	long awaitSession(long deadline, boolean tryOnce) throws InterruptedException {
		while (true) {
			long leaseId = this.session.leaseId();
			if (leaseId != 0 || tryOnce || deadline - System.nanoTime() <= 0) {
				return leaseId;
			}
			TimeUnit.NANOSECONDS.sleep(Math.min(SESSION_POLL_NANOS, deadline - System.nanoTime()));
		}
	}

	/**
	 * The start of every key name this registry gives on {@code leaseId}.
	 */
	String ownKeyNamePrefix(long leaseId) {
		return EtcdKeys.leaseHex(leaseId) + "-" + this.id + "-";
	}

	/**
	 * Create a key of this instance under {@code prefix} on {@code leaseId}, named after the lowest
	 * free slot, and, in the same transaction, count the keys in {@code [from, to)}: all of them are
	 * older than the new key. The slot is free again once the key is deleted or its lease is lost.
	 * @return the new entry and the count
	 * @throws EtcdAccessException when etcd did not answer; the key is then deleted, should the create
	 * have been applied anyway, and its name is not used again
	 */
	Created create(String prefix, KeySlots slots, long leaseId, ByteSequence from, ByteSequence to) {
		while (true) {
			int slot = slots.take();
			String key = prefix + ownKeyNamePrefix(leaseId) + slot;
			if (this.abandoned.contains(key)) {
				// its late create may still be deleted by a plain delete: leave the slot taken
				continue;
			}
			TxnResponse created;
			try {
				created = this.etcd.txn("lock " + key, (txn) -> txn
					.If(new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
					.Then(Op.put(EtcdKeys.bytes(key), EtcdKeys.bytes(""), PutOption.builder().withLeaseId(leaseId).build()),
							Op.get(from, GetOption.builder().withRange(to).withCountOnly(true).build())));
			}
			catch (EtcdAccessException ex) {
				deleteAbandoned(key, leaseId);
				throw ex;
			}
			if (created.isSucceeded()) {
				Entry entry = new Entry(leaseId, key, created.getHeader().getRevision(), Instant.now(),
						() -> slots.free(slot));
				return new Created(entry, created.getGetResponses().get(0).getCount());
			}
			// a former key of this slot whose release is still retried: leave the slot taken, use another
		}
	}

	/**
	 * Wait until {@code ahead} finds nothing ahead, the session lease {@code leaseId} is lost, or the
	 * deadline passes.
	 * @return {@code true} when nothing is ahead any more (check the session again before trusting it)
	 */
	boolean await(long leaseId, Supplier<Ahead> ahead, long deadline, boolean tryOnce) throws InterruptedException {
		while (this.session.isValid(leaseId)) {
			Ahead blocking = ahead.get();
			if (blocking == null) {
				return true;
			}
			if (tryOnce || !awaitDeleted(blocking, leaseId, deadline)) {
				return false;
			}
		}
		return false;
	}

	/**
	 * Wait for a delete of what {@code ahead} names after the revision it was read at.
	 * @return {@code false} when the deadline passed first
	 */
	private boolean awaitDeleted(Ahead ahead, long leaseId, long deadline) throws InterruptedException {
		CompletableFuture<Void> deleted = new CompletableFuture<>();
		WatchOption.Builder option = WatchOption.builder().withRevision(ahead.revision() + 1).withNoPut(true);
		if (ahead.rangeEnd() != null) {
			option.withRange(ahead.rangeEnd());
		}
		try (Watch.Watcher watcher = this.etcd.getClient().getWatchClient().watch(ahead.key(), option.build(), (response) -> {
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
					// the watch failed (compaction, closed): look again
					return true;
				}
				left = deadline - System.nanoTime();
			}
			return false;
		}
	}

	/**
	 * Delete the key of a unique entry, retrying in the background for as long as etcd does not
	 * answer and the session lives: its key is never written again, so a late retry cannot delete a
	 * newer hold. Runs even when the calling thread's interrupt flag is set.
	 */
	void release(Entry entry) {
		if (tryRelease(entry)) {
			entry.gone().run();
		}
		else {
			retryWhileSessionLives(entry.leaseId(), () -> tryRelease(entry), entry.gone());
		}
	}

	/**
	 * Run {@code attempt} in the background, with the retry policy's growing delays, until it returns {@code true}, the
	 * session lease {@code leaseId} is no longer valid (then etcd deletes the keys with the lease), or
	 * the registry closes.
	 */
	void retryWhileSessionLives(long leaseId, BooleanSupplier attempt) {
		retryWhileSessionLives(leaseId, attempt, () -> {
		});
	}

	/**
	 * Like {@link #retryWhileSessionLives(long, BooleanSupplier)}, running {@code done} once the
	 * attempt succeeded or the lease is no longer valid.
	 */
	void retryWhileSessionLives(long leaseId, BooleanSupplier attempt, Runnable done) {
		schedule(leaseId, attempt, done, this.retry.backoff());
	}

	private void schedule(long leaseId, BooleanSupplier attempt, Runnable done, RetryPolicy.Backoff backoff) {
		if (!this.session.isValid(leaseId)) {
			done.run();
			return;
		}
		try {
			this.retries.schedule(() -> {
				if (attempt.getAsBoolean()) {
					done.run();
				}
				else {
					schedule(leaseId, attempt, done, backoff);
				}
			}, backoff.nextDelayNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// closed: the session's lease goes next, and the keys with it
		}
	}

	private boolean tryRelease(Entry entry) {
		try {
			this.etcd.deleteIfCreatedAt(entry.key(), entry.token());
			return true;
		}
		catch (EtcdAccessException ex) {
			logger.warn("Could not delete lock key " + entry.key() + " yet, retrying: " + ex.getMessage());
			return false;
		}
	}

	/**
	 * Delete a unique key whose create failed, now and a few times later, in case etcd applies the
	 * create late.
	 */
	void deleteAbandoned(String key, long leaseId) {
		this.abandoned.add(key);
		deleteQuietly(key);
		AtomicInteger attempts = new AtomicInteger();
		retryWhileSessionLives(leaseId, () -> deleteQuietly(key) && attempts.incrementAndGet() >= ABANDONED_DELETES,
				() -> this.abandoned.remove(key));
	}

	private boolean deleteQuietly(String key) {
		boolean interrupted = Thread.interrupted();
		try {
			this.etcd.delete(key);
			return true;
		}
		catch (EtcdAccessException ex) {
			logger.warn("Could not delete lock key " + key + " after a failed create yet: " + ex.getMessage());
			return false;
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * Stop the background retries.
	 */
	void close() {
		this.retries.shutdownNow();
	}

	/**
	 * Run {@code call}, turning an interrupt of an etcd call into an {@link InterruptedException}:
	 * {@code Lock}'s contract for an interrupt while waiting.
	 */
	static <T> T interruptibly(InterruptibleCall<T> call) throws InterruptedException {
		try {
			return call.call();
		}
		catch (EtcdInterruptedException ex) {
			Thread.interrupted();
			InterruptedException interrupted = new InterruptedException(ex.getMessage());
			interrupted.initCause(ex);
			throw interrupted;
		}
	}

	/**
	 * The end of the key range of {@code prefix}, which ends with {@code /}.
	 */
	static ByteSequence rangeEnd(String prefix) {
		return EtcdKeys.bytes(prefix.substring(0, prefix.length() - 1) + "0");
	}

	/**
	 * A key of this instance in a queue.
	 *
	 * @param leaseId the session lease it lives on
	 * @param key the key
	 * @param token its create revision
	 * @param since when it was created
	 * @param gone run once the key is deleted or its lease is lost
	 */
	record Entry(long leaseId, String key, long token, Instant since, Runnable gone) {
	}

	/**
	 * A created entry and the number of keys its transaction counted.
	 *
	 * @param entry the entry
	 * @param counted the keys counted, all older than the entry
	 */
	record Created(Entry entry, long counted) {
	}

	/**
	 * What a queued key waits for: the delete of {@code key}, or of any key in
	 * {@code [key, rangeEnd)}, after {@code revision}.
	 *
	 * @param key the key, or the start of the range
	 * @param rangeEnd the end of the range, or {@code null} for the key alone
	 * @param revision the revision it was read at
	 */
	record Ahead(ByteSequence key, ByteSequence rangeEnd, long revision) {
	}

	/**
	 * A call that may be interrupted.
	 *
	 * @param <T> the result type
	 */
	@FunctionalInterface
	interface InterruptibleCall<T> {

		T call() throws InterruptedException;

	}

}
