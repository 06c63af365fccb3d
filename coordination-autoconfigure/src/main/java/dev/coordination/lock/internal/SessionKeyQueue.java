package dev.coordination.lock.internal;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdInterruptedException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationThreads;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.EtcdWatch;
import dev.coordination.etcd.internal.FailureDescription;
import dev.coordination.etcd.internal.RepeatedFailureLog;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.lock.HeldLock;
import dev.coordination.session.SessionInfo;
import dev.coordination.session.internal.EtcdSession;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.watch.WatchEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The etcd side of every lock kind: lines of keys on the coordination session's lease, ordered by
 * create revision. A contender writes a key of its own into a {@link Line} and waits, watching only
 * what stands ahead of it, until fewer keys that exclude it than the line's permits are older than
 * its own. Keys created later can never get ahead of it.
 * <p>
 * Thread-safe. Guarantees: a key is reported held only while the session lease it lives on is
 * provably alive; a key this instance gives up (released, timed out, interrupted, or whose create
 * failed) is deleted, retried in the background while the session lives, and a retry never deletes
 * a newer key of the same name. Not guaranteed: that a create etcd applies after it timed out is
 * deleted before the session ends (it is deleted a few times later, and a lease-named key when it
 * is next created).
 */
final class SessionKeyQueue {

	private static final Log logger = LogFactory.getLog(SessionKeyQueue.class);

	// one WARN while deleting keys fails, whichever keys; repeats at DEBUG
	private final RepeatedFailureLog deleteFailures = new RepeatedFailureLog(logger);

	private static final long SESSION_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	// a watch does not report the session: a waiter looks at it at least this often
	private static final long SESSION_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

	// a create applied after its timeout is deleted by this many later attempts
	private static final int ABANDONED_DELETES = 4;

	// blocking etcd calls of background retries: one daemon thread, never the common pool
	private final ScheduledExecutorService retries = Executors
		.newSingleThreadScheduledExecutor(CoordinationThreads.daemon("coordination-lock-release"));

	private final EtcdTemplate etcd;

	private final EtcdSession session;

	private final RetryPolicy retry;

	// names the slotted keys of this registry: two registries on one session never share a key name
	private final String id = String.format("%08x", new SecureRandom().nextInt());

	SessionKeyQueue(EtcdTemplate etcd, EtcdSession session, RetryPolicy retry) {
		this.etcd = etcd;
		this.session = session;
		this.retry = retry;
	}

	EtcdTemplate etcd() {
		return this.etcd;
	}

	EtcdSession session() {
		return this.session;
	}

	/**
	 * Why keys cannot be queued, when it is because etcd cannot be reached.
	 * @return for example "etcd cannot be reached: the coordination session has no lease (...)", or
	 * {@code null}
	 */
	@Nullable String unreachable() {
		SessionInfo info = this.session.info();
		if (info.valid() || info.lastError() == null) {
			return null;
		}
		return "etcd cannot be reached: the coordination session has no lease (" + info.lastError() + ")";
	}

	/**
	 * Write a key of this instance into {@code line} and wait until it holds: the one way every lock
	 * kind enters etcd. A key that does not come to hold is deleted; one whose session is lost while
	 * it waits went with its lease, and a new key is queued on the next lease.
	 * @param line where the key goes and what it waits behind
	 * @param deadline when to give up
	 * @return the held key, or {@code null} when the deadline passed first
	 * @throws InterruptedException when interrupted while waiting, also inside an etcd call
	 * @throws EtcdAccessException when etcd did not answer
	 */
	@Nullable Entry enter(Line line, Deadline deadline) throws InterruptedException {
		try {
			while (true) {
				long leaseId = awaitSession(deadline);
				if (leaseId == 0) {
					return null;
				}
				Created created = create(line, leaseId);
				Entry entry = created.entry();
				try {
					// the session may have been lost during the last check: never report a key that lives
					// on a lease that is not provably alive
					if ((created.holding() || await(line, entry, deadline)) && this.session.isValid(leaseId)) {
						return entry;
					}
				}
				catch (InterruptedException | RuntimeException ex) {
					release(entry);
					throw ex;
				}
				// timed out in the line; or the session was lost while waiting, and the key went with
				// it: then queue again on the next lease
				boolean timedOut = this.session.isValid(leaseId);
				release(entry);
				if (timedOut) {
					return null;
				}
			}
		}
		catch (EtcdInterruptedException ex) {
			throw interrupted(ex);
		}
	}

	/**
	 * The current session lease, waiting for one until the deadline unless it is a single try.
	 * @return the lease, or {@code 0} when there is none in time
	 */
	private long awaitSession(Deadline deadline) throws InterruptedException {
		while (true) {
			long leaseId = this.session.leaseId();
			if (leaseId != 0 || deadline.tryOnce() || deadline.passed()) {
				return leaseId;
			}
			TimeUnit.NANOSECONDS.sleep(Math.min(SESSION_POLL_NANOS, deadline.leftNanos()));
		}
	}

	/**
	 * Create a key of this instance in {@code line} on {@code leaseId} and, in the same transaction,
	 * count the keys of the line's range: all of them are older than the new key.
	 * <p>
	 * A key of this instance may still stand under the name: a release still being retried, or a
	 * create that etcd applied after it had timed out. Nothing of this instance uses it (a slot is
	 * free only once its key is gone; a lease-named key is created only by the thread that holds the
	 * lock locally), so it is deleted, if it still is that key, and the name created again.
	 * @throws EtcdAccessException when etcd did not answer; the key is then deleted, should the create
	 * have been applied anyway
	 */
	private Created create(Line line, long leaseId) {
		ByteSequence counted = EtcdKeys.bytes(line.rangePrefix());
		while (true) {
			KeySlots slots = line.slots();
			int slot = (slots != null) ? slots.take() : -1;
			// once only: a slot freed twice could be taken by a live key and freed under it
			AtomicBoolean taken = new AtomicBoolean(slots != null);
			Runnable free = () -> {
				if (slots != null && taken.compareAndSet(true, false)) {
					slots.free(slot);
				}
			};
			String key = line.keyPrefix() + ((slots != null) ? ownKeyNamePrefix(leaseId) + slot : EtcdKeys.leaseHex(leaseId));
			ByteSequence name = EtcdKeys.bytes(key);
			TxnResponse created;
			try {
				created = this.etcd.txn("lock " + key, (txn) -> txn
					.If(new Cmp(name, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
					.Then(Op.put(name, EtcdKeys.bytes(""), PutOption.builder().withLeaseId(leaseId).build()),
							Op.get(counted, GetOption.builder().withRange(rangeEnd(line.rangePrefix())).withCountOnly(true).build()))
					.Else(Op.get(name, GetOption.builder().withKeysOnly(true).build())));
			}
			catch (EtcdAccessException ex) {
				deleteAbandoned(key, leaseId, slots != null, free);
				throw ex;
			}
			if (created.isSucceeded()) {
				long older = created.getGetResponses().get(0).getCount()
						- (line.keyPrefix().startsWith(line.rangePrefix()) ? 1 : 0);
				return new Created(new Entry(leaseId, key, created.getHeader().getRevision(), Instant.now(), free),
						older < line.permits());
			}
			long leftover = created.getGetResponses().get(0).getKvs().get(0).getCreateRevision();
			try {
				this.etcd.deleteIfCreatedAt(key, leftover);
			}
			finally {
				free.run();
			}
		}
	}

	/**
	 * The start of every slotted key name this registry gives on {@code leaseId}.
	 */
	private String ownKeyNamePrefix(long leaseId) {
		return EtcdKeys.leaseHex(leaseId) + "-" + this.id + "-";
	}

	/**
	 * Wait until nothing that excludes {@code entry} is ahead of it, the session lease is lost, or
	 * the deadline passes. Each delete of what is ahead means another read, except the delete of the
	 * only key ahead: the keys older than the entry can only go, so nothing is ahead after it.
	 * @return {@code true} when nothing is ahead any more (check the session again before trusting it)
	 */
	private boolean await(Line line, Entry entry, Deadline deadline) throws InterruptedException {
		while (this.session.isValid(entry.leaseId())) {
			Ahead blocking = ahead(line, entry);
			if (blocking == null) {
				return true;
			}
			if (deadline.tryOnce()) {
				return false;
			}
			switch (awaitDeleted(blocking, entry.leaseId(), deadline)) {
				case CLEARED -> {
					return true;
				}
				case TIMED_OUT -> {
					return false;
				}
				case LOOK_AGAIN -> {
					// read again
				}
			}
		}
		return false;
	}

	/**
	 * What {@code entry} waits for: {@code null} when fewer than the line's permits keys of its
	 * range are older than it. With one permit that is the newest older key alone (no herd effect);
	 * with more, any key of the range may go first, so the whole range.
	 */
	private @Nullable Ahead ahead(Line line, Entry entry) {
		String range = line.rangePrefix();
		// etcd counts before it filters by revision: read the keys (at most permits, unless some are to
		// be skipped) instead of counting
		// one key more than the permits with one permit: tells whether the key ahead is the only one
		long limit = line.skipsOwnKeys() ? 0 : (line.permits() == 1) ? 2 : line.permits();
		GetResponse before = this.etcd.call("find what is ahead of " + entry.key(), () -> this.etcd.getClient()
			.getKVClient()
			.get(EtcdKeys.bytes(range), GetOption.builder()
				.withRange(rangeEnd(range))
				.withMaxCreateRevision(entry.token() - 1)
				.withSortField(GetOption.SortTarget.CREATE)
				.withSortOrder(GetOption.SortOrder.DESCEND)
				.withLimit(limit)
				.withKeysOnly(true)
				.build()));
		ByteSequence own = EtcdKeys.bytes(range + ownKeyNamePrefix(entry.leaseId()));
		List<KeyValue> excluding = before.getKvs()
			.stream()
			.filter((kv) -> !line.skipsOwnKeys() || !kv.getKey().startsWith(own))
			.toList();
		if (excluding.size() < line.permits()) {
			return null;
		}
		long revision = before.getHeader().getRevision();
		// the keys older than the entry can only go (a key created again is newer): once the only one
		// is deleted, nothing is ahead, and no read is needed to know it
		return (line.permits() == 1)
				? new Ahead(excluding.get(0).getKey(), null, excluding.get(0).getCreateRevision(), revision,
						excluding.size() == 1)
				: new Ahead(EtcdKeys.bytes(range), rangeEnd(range), 0, revision, false);
	}

	/**
	 * Wait for a delete of what {@code ahead} names after the revision it was read at.
	 * <p>
	 * When etcd has moved on between the read and the creation of the watch, the watch starts behind
	 * etcd's revision, and etcd hands such a watch the changes it missed only in its next catch-up
	 * round (every 100 ms). A single key ahead is then read once more: a delete that came in
	 * between is seen at once instead of up to 100 ms later.
	 * @return {@link Wait#CLEARED} when the only key ahead was deleted (check the session again before
	 * trusting it); {@link Wait#LOOK_AGAIN} after another delete, when the watch's history cannot be
	 * trusted or the session is not valid; {@link Wait#TIMED_OUT} when the deadline passed first
	 */
	private Wait awaitDeleted(Ahead ahead, long leaseId, Deadline deadline) throws InterruptedException {
		BlockingQueue<Signal> signals = new LinkedBlockingQueue<>();
		// the listener only hands over what happened: it may run on jetcd's thread
		try (EtcdWatch watch = EtcdWatch.deletes(this.etcd, ahead.key(), ahead.rangeEnd(), ahead.revision() + 1,
				Runnable::run, new EtcdWatch.Listener() {

					@Override
					public void events(List<WatchEvent> events, long revision) {
						boolean cleared = ahead.only() && events.stream()
							.anyMatch((event) -> event.getEventType() == WatchEvent.EventType.DELETE
									&& event.getKeyValue().getKey().equals(ahead.key()));
						signals.add(cleared ? Signal.CLEARED : Signal.CHANGED);
					}

					@Override
					public void resync(String reason) {
						signals.add(Signal.CHANGED);
					}

					@Override
					public void created(long revision) {
						if (ahead.rangeEnd() == null && revision > ahead.revision()) {
							signals.add(Signal.BEHIND);
						}
					}

				})) {
			while (!deadline.passed()) {
				Signal signal = signals.poll(Math.min(deadline.leftNanos(), SESSION_CHECK_NANOS), TimeUnit.NANOSECONDS);
				if (signal == null) {
					if (!this.session.isValid(leaseId)) {
						return Wait.LOOK_AGAIN;
					}
					continue;
				}
				switch (signal) {
					case CLEARED -> {
						return Wait.CLEARED;
					}
					case CHANGED -> {
						return Wait.LOOK_AGAIN;
					}
					case BEHIND -> {
						if (!stillThere(ahead)) {
							return ahead.only() ? Wait.CLEARED : Wait.LOOK_AGAIN;
						}
					}
				}
			}
			return Wait.TIMED_OUT;
		}
	}

	/**
	 * Whether the single key {@code ahead} names is still the key read then (same create revision);
	 * {@code true} when etcd does not answer, so the watch goes on deciding.
	 */
	private boolean stillThere(Ahead ahead) {
		try {
			return this.etcd.get(EtcdKeys.string(ahead.key()))
				.map((kv) -> kv.getCreateRevision() == ahead.createRevision())
				.orElse(false);
		}
		catch (EtcdAccessException ex) {
			return true;
		}
	}

	/**
	 * Whether a key of {@code range} was created after {@code entry}: another contender waits behind
	 * it. A question etcd does not answer counts as one waiting.
	 */
	boolean waitsBehind(Entry entry, String range) {
		try {
			// etcd counts before it filters by revision: read the keys (at most one) instead of counting
			return !this.etcd.call("find what waits behind " + entry.key(), () -> this.etcd.getClient()
				.getKVClient()
				.get(EtcdKeys.bytes(range), GetOption.builder()
					.withRange(rangeEnd(range))
					.withMinCreateRevision(entry.token() + 1)
					.withKeysOnly(true)
					.withLimit(1)
					.build()))
				.getKvs()
				.isEmpty();
		}
		catch (EtcdAccessException ex) {
			return true;
		}
	}

	/**
	 * Give up a key: delete it while it still is that key, retrying in the background for as long as
	 * etcd does not answer and the session lives. A key whose session is lost went with its lease.
	 * Runs even when the calling thread's interrupt flag is set.
	 */
	void release(Entry entry) {
		if (!this.session.isValid(entry.leaseId()) || tryRelease(entry)) {
			entry.gone().run();
		}
		else {
			// a key left behind would hold for as long as this instance lives: retry. Its name is not
			// used meanwhile, or is found and deleted by the next create of it
			retryWhileSessionLives(entry.leaseId(), () -> tryRelease(entry), entry.gone());
		}
	}

	private boolean tryRelease(Entry entry) {
		try {
			this.etcd.deleteIfCreatedAt(entry.key(), entry.token());
			this.deleteFailures.recovered("Deleting lock keys works again");
			return true;
		}
		catch (EtcdAccessException ex) {
			this.deleteFailures.failed("Could not delete lock key " + entry.key() + ": " + FailureDescription.describe(ex, this.etcd)
					+ "; retrying while the session lasts (the key goes with the session lease)", ex);
			return false;
		}
	}

	/**
	 * Delete a key whose create failed, in case etcd applied it anyway. A slotted name is deleted a
	 * few times later too, in case etcd applies the create late, and its slot stays taken until then;
	 * a lease-named key is used again by the next acquisition, whose create deletes a late one.
	 */
	private void deleteAbandoned(String key, long leaseId, boolean slotted, Runnable free) {
		deleteQuietly(key);
		if (!slotted) {
			return;
		}
		AtomicInteger attempts = new AtomicInteger();
		retryWhileSessionLives(leaseId, () -> deleteQuietly(key) && attempts.incrementAndGet() >= ABANDONED_DELETES,
				free);
	}

	private boolean deleteQuietly(String key) {
		boolean interrupted = Thread.interrupted();
		try {
			this.etcd.delete(key);
			this.deleteFailures.recovered("Deleting lock keys works again");
			return true;
		}
		catch (EtcdAccessException ex) {
			this.deleteFailures.failed("Could not delete lock key " + key + " after a failed create: "
					+ FailureDescription.describe(ex, this.etcd) + "; retrying while the session lasts", ex);
			return false;
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * Run {@code attempt} in the background, with the retry policy's growing delays, until it
	 * returns {@code true} or the session lease {@code leaseId} is no longer valid (then etcd deletes
	 * the keys with the lease), then run {@code done}; stop when the registry closes.
	 */
	private void retryWhileSessionLives(long leaseId, BooleanSupplier attempt, Runnable done) {
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

	/**
	 * Stop the background retries.
	 */
	void close() {
		this.retries.shutdownNow();
	}

	/**
	 * An interrupt of an etcd call as an {@link InterruptedException}, with the interrupt flag
	 * cleared: {@code Lock}'s contract for an interrupt while waiting.
	 */
	private static InterruptedException interrupted(EtcdInterruptedException ex) {
		Thread.interrupted();
		InterruptedException interrupted = new InterruptedException(ex.getMessage());
		interrupted.initCause(ex);
		return interrupted;
	}

	/**
	 * The end of the key range of {@code prefix}, which ends with {@code /}.
	 */
	static ByteSequence rangeEnd(String prefix) {
		return EtcdKeys.bytes(prefix.substring(0, prefix.length() - 1) + "0");
	}

	/**
	 * Where a lock kind's keys go and what they wait behind. A key holds while fewer than
	 * {@code permits} keys of {@code [rangePrefix, rangeEnd(rangePrefix))} are older than it.
	 *
	 * @param keyPrefix where this instance's keys go, ending with {@code /}
	 * @param slots the slots that name this instance's keys ({@code <leaseHex>-<registry>-<slot>}), or
	 * {@code null} for one key per session lease named {@code <leaseHex>}, the layout of etcd's Go
	 * {@code concurrency.Mutex}
	 * @param rangePrefix the keys that exclude it, ending with {@code /}
	 * @param permits how many keys may hold at once
	 * @param skipsOwnKeys whether slotted keys of this registry in the range are not waited for (the
	 * caller knows they are releases still being retried)
	 */
	record Line(String keyPrefix, @Nullable KeySlots slots, String rangePrefix, int permits, boolean skipsOwnKeys) {

		/**
		 * The line of a lock with the layout of etcd's Go {@code concurrency.Mutex}: one key per session
		 * lease under {@code prefix}, held by the oldest key.
		 * @param prefix the lock's prefix, ending with {@code /}
		 * @return the line
		 */
		static Line mutex(String prefix) {
			return new Line(prefix, null, prefix, 1, false);
		}

	}

	/**
	 * A key of this instance in a line.
	 *
	 * @param leaseId the session lease it lives on
	 * @param key the key
	 * @param token its create revision: the fencing token
	 * @param since when it was created
	 * @param gone run once the key is deleted or its lease is lost
	 */
	record Entry(long leaseId, String key, long token, Instant since, Runnable gone) {

		/**
		 * The key as a hold, for diagnostics and loss events.
		 * @param lockKey the key of the lock or semaphore
		 * @param kind what is held
		 * @param waitingThreads threads of this instance waiting for it
		 * @return the hold
		 */
		HeldLock held(String lockKey, HeldLock.Kind kind, int waitingThreads) {
			return new HeldLock(lockKey, kind, this.token, this.since, waitingThreads);
		}

	}

	/**
	 * A created entry and whether it holds at once.
	 *
	 * @param entry the entry
	 * @param holding whether fewer than the line's permits keys were older than it
	 */
	private record Created(Entry entry, boolean holding) {
	}

	/**
	 * What a queued key waits for: the delete of {@code key}, or of any key in
	 * {@code [key, rangeEnd)}, after {@code revision}.
	 *
	 * @param key the key, or the start of the range
	 * @param rangeEnd the end of the range, or {@code null} for the key alone
	 * @param createRevision the create revision of the key alone, {@code 0} for a range
	 * @param revision the revision it was read at
	 * @param only whether {@code key} is the only key ahead: its delete leaves nothing ahead
	 */
	private record Ahead(ByteSequence key, @Nullable ByteSequence rangeEnd, long createRevision, long revision,
			boolean only) {
	}

	/**
	 * How a wait for a delete ended.
	 */
	private enum Wait {

		/** The only key ahead was deleted. */
		CLEARED,

		/** Something was deleted, or the watch or the session cannot be trusted: read again. */
		LOOK_AGAIN,

		/** The deadline passed. */
		TIMED_OUT

	}

	/**
	 * What the watch's listener hands to the waiting thread.
	 */
	private enum Signal {

		/** The only key ahead was deleted. */
		CLEARED,

		/** Another key was deleted, or the watch's history cannot be trusted. */
		CHANGED,

		/** etcd was past the read's revision when it created the watch: look at the key ahead. */
		BEHIND

	}

	/**
	 * A call that may be interrupted.
	 *
	 * @param <T> the result type
	 */
	@FunctionalInterface
	interface InterruptibleCall<T extends @Nullable Object> {

		T call() throws InterruptedException;

	}

}
