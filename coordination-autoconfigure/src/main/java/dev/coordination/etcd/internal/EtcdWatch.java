package dev.coordination.etcd.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdCompactedException;
import dev.coordination.etcd.EtcdTemplate;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * One etcd watch of a key or a key range from a revision on, with the recovery every watch of the
 * starter needs; the mirrors of discovery, configuration, feature flags and elections and the
 * waiters of locks all watch through it.
 * <ul>
 * <li>Only new events are handed over, in revision order: after a reconnect jetcd may replay events
 * already seen (or even older than the watch), which are dropped by their mod revision.</li>
 * <li>When the history cannot be trusted the listener is told to read again
 * ({@link Listener#resync}) and the watch ends: the revision it needs was compacted away, etcd is
 * at an older revision than the watch saw (restored or replaced), or the stream broke again before
 * the changes between two reconnects arrived (jetcd then resumes from the revision it was created
 * at and can skip them).</li>
 * <li>A member cut off from the quorum ends the watch instead of falling silent (require leader);
 * a transport error only tells the listener it is disconnected, jetcd resumes by itself, and the
 * connection is tried again within {@link ConnectBackoff a few hundred milliseconds} rather than at
 * gRPC's growing reconnect backoff.</li>
 * </ul>
 * The listener runs on the given executor, one callback at a time when the executor runs one task at
 * a time; jetcd may call back holding its own lock, so a direct executor ({@code Runnable::run}) is
 * only for a listener that hands over at once (a lock waiter counting down a latch). Nothing is
 * delivered after {@link #close()}.
 */
public final class EtcdWatch implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(EtcdWatch.class);

	private final String name;

	private final Executor executor;

	private final Listener listener;

	private final Watching watching;

	private final Watch.Watcher watcher;

	// on the executor only
	private long lastRevision;

	private boolean interrupted;

	// the newest revision etcd is known to have reached: a created notice below it means etcd went
	// back in time
	private long known;

	// the last error jetcd reported, handed over when the watch ends
	private @Nullable EtcdAccessException failure;

	// whether anything arrived since the last progress request
	private volatile boolean answered = true;

	// set by the first progress request: the owner trusts etcd's answers
	private volatile boolean progressRequested;

	private volatile boolean closed;

	EtcdWatch(Watching watching, String name, ByteSequence key, boolean prefix, @Nullable ByteSequence rangeEnd,
			long fromRevision, boolean noPut, Executor executor, Listener listener) {
		this(watching, name, key, prefix, rangeEnd, fromRevision, fromRevision - 1, noPut, false, executor, listener);
	}

	EtcdWatch(Watching watching, String name, ByteSequence key, boolean prefix, @Nullable ByteSequence rangeEnd,
			long fromRevision, long knownRevision, boolean noPut, boolean withPrevious, Executor executor,
			Listener listener) {
		this.name = name;
		this.known = knownRevision;
		this.watching = watching;
		this.executor = executor;
		this.listener = listener;
		this.lastRevision = fromRevision - 1;
		WatchOption.Builder option = WatchOption.builder()
			.withRevision(fromRevision)
			.withRequireLeader(true)
			.withCreateNotify(true)
			.withNoPut(noPut)
			.withPrevKV(withPrevious)
			.withProgressNotify(withPrevious)
			.isPrefix(prefix);
		if (rangeEnd != null) {
			option.withRange(rangeEnd);
		}
		// jetcd may call these holding its own lock: only hand the work over
		this.watcher = watching.watch(key, option.build(), Watch.listener((response) -> run(() -> onResponse(response)),
					(error) -> run(() -> onError(error)), () -> run(() -> end(Cause.ENDED, "the watch ended"))));
	}

	/**
	 * Watch every key under {@code prefix}.
	 * @param etcd the etcd access
	 * @param prefix the prefix
	 * @param fromRevision the first revision to hand over, usually a read's revision + 1
	 * @param executor where the listener runs
	 * @param listener the listener
	 * @return the watch
	 */
	public static EtcdWatch prefix(EtcdTemplate etcd, String prefix, long fromRevision, Executor executor,
			Listener listener) {
		return new EtcdWatch(watching(etcd), prefix, EtcdKeys.bytes(prefix), true, null, fromRevision, false, executor,
				listener);
	}

	/**
	 * Watch the deletes of one key, or of any key in {@code [key, rangeEnd)}.
	 * @param etcd the etcd access
	 * @param key the key, or the start of the range
	 * @param rangeEnd the end of the range, {@code null} for the key alone
	 * @param fromRevision the first revision to hand over
	 * @param executor where the listener runs
	 * @param listener the listener
	 * @return the watch
	 */
	public static EtcdWatch deletes(EtcdTemplate etcd, ByteSequence key, @Nullable ByteSequence rangeEnd,
			long fromRevision, Executor executor, Listener listener) {
		return new EtcdWatch(watching(etcd), EtcdKeys.string(key), key, false, rangeEnd, fromRevision, true, executor,
				listener);
	}

	/**
	 * Watch one key, or every key under a prefix, with the value each event replaced
	 * ({@link WatchEvent#getPrevKV()}) and etcd's periodic progress notices: the watch behind
	 * {@link EtcdTemplate#watch}. A created notice only means that etcd went back in time when it is
	 * below {@code knownRevision}, not below {@code fromRevision - 1}: the caller may watch from a
	 * revision etcd has not reached yet.
	 * @param etcd the etcd access
	 * @param key the key or the prefix
	 * @param prefix whether {@code key} is a prefix
	 * @param fromRevision the first revision to hand over, 0 for the changes after the watch starts
	 * @param knownRevision a revision etcd is known to have reached, 0 for none
	 * @param executor where the listener runs
	 * @param listener the listener
	 * @return the watch
	 */
	public static EtcdWatch withPrevious(EtcdTemplate etcd, String key, boolean prefix, long fromRevision,
			long knownRevision, Executor executor, Listener listener) {
		return new EtcdWatch(watching(etcd), key, EtcdKeys.bytes(key), prefix, null, fromRevision, knownRevision, false,
				true, executor, listener);
	}

	private static Watching watching(EtcdTemplate etcd) {
		return new Watching() {

			@Override
			public Watch.Watcher watch(ByteSequence key, WatchOption option, Watch.Listener listener) {
				return etcd.getClient().getWatchClient().watch(key, option, listener);
			}

			@Override
			public void disconnected() {
				ConnectBackoff.shorten(etcd.getClient());
			}

		};
	}

	private void run(Runnable task) {
		if (this.closed) {
			return;
		}
		try {
			this.executor.execute(() -> {
				if (!this.closed) {
					task.run();
				}
			});
		}
		catch (RejectedExecutionException ex) {
			// the owner stopped
		}
	}

	private void onResponse(WatchResponse response) {
		this.answered = true;
		this.listener.connected(true);
		long headerRevision = response.getHeader().getRevision();
		if (response.isCreatedNotify()) {
			if (headerRevision < this.known) {
				end(Cause.BEHIND, "etcd is at revision " + headerRevision + ", before " + this.known
						+ " (restored or replaced)");
			}
			else if (this.interrupted) {
				end(Cause.RESUMED, "the watch was interrupted and resumed");
			}
			else {
				// not taken as known: a member that lags a little behind the one before would look
				// like an etcd gone back in time at the next reconnect
				this.failure = null;
				this.listener.created(headerRevision);
			}
			return;
		}
		// several events can share one revision (a transaction, a delete of a prefix): compare with
		// the revision before this response, and move on after it
		long before = this.lastRevision;
		List<WatchEvent> fresh = new ArrayList<>(response.getEvents().size());
		for (WatchEvent event : response.getEvents()) {
			long revision = event.getKeyValue().getModRevision();
			if (revision > before) {
				fresh.add(event);
				this.lastRevision = Math.max(this.lastRevision, revision);
			}
		}
		// only events and answers to our own progress requests advance the watch: any other header
		// can be ahead of events still to come while the watcher catches up (so can a progress answer
		// of etcd before 3.4.31 and 3.5.13, whose progress is never asked), and taking it would drop
		// them as replays
		if (!fresh.isEmpty()) {
			this.known = Math.max(this.known, this.lastRevision);
			this.listener.events(fresh, this.lastRevision);
		}
		else if (this.progressRequested && response.isProgressNotify() && headerRevision > this.lastRevision) {
			this.lastRevision = headerRevision;
			this.known = Math.max(this.known, headerRevision);
			this.listener.progressed(headerRevision);
		}
	}

	/**
	 * Ask etcd how far the watch is: it answers with a progress notice at the revision the watch has
	 * reached once every event up to it was sent, which then {@linkplain Listener#progressed moves
	 * the watch on}. Only for etcd whose answers come in order with the events
	 * ({@link WatchProgress#trusted()}).
	 * @return whether anything (an event or an answer) arrived since the previous request; true for
	 * the first
	 */
	public boolean requestProgress() {
		boolean answered = this.answered;
		this.answered = false;
		this.progressRequested = true;
		if (!this.closed) {
			this.watcher.requestProgress();
		}
		return answered;
	}

	private void onError(Throwable error) {
		EtcdAccessException translated = EtcdExceptionTranslator.translate("watch " + this.name, error);
		this.failure = translated;
		if (translated instanceof EtcdCompactedException) {
			end(Cause.COMPACTED, "its history was compacted");
		}
		else {
			// jetcd resumes the watch by itself after a transport error
			if (logger.isDebugEnabled()) {
				logger.debug("Watch of " + this.name + " interrupted, resuming: " + translated.getMessage());
			}
			this.interrupted = true;
			this.watching.disconnected();
			this.listener.failed(translated);
			this.listener.connected(false);
		}
	}

	private void end(Cause cause, String reason) {
		if (this.closed) {
			return;
		}
		close();
		this.listener.ended(cause, reason, this.failure);
	}

	/**
	 * The revision of the last event handed over, or the revision before the first one to hand over.
	 * Read it on the executor.
	 * @return the revision
	 */
	public long lastRevision() {
		return this.lastRevision;
	}

	/**
	 * Stop watching; nothing is handed over afterwards.
	 */
	@Override
	public void close() {
		this.closed = true;
		this.watcher.close();
	}

	/**
	 * Starts jetcd's watch: the client's watch service, or a test's.
	 */
	@FunctionalInterface
	interface Watching {

		Watch.Watcher watch(ByteSequence key, WatchOption option, Watch.Listener listener);

		/**
		 * The stream was lost: jetcd resumes it once the connection is back.
		 */
		default void disconnected() {
		}

	}

	/**
	 * Why a watch ended.
	 */
	public enum Cause {

		/**
		 * The revision it needed was compacted away: the failure is an {@link EtcdCompactedException}.
		 */
		COMPACTED,

		/**
		 * etcd is at an older revision than the watch saw: restored from a backup or replaced.
		 */
		BEHIND,

		/**
		 * The stream broke and jetcd resumed it, possibly skipping changes.
		 */
		RESUMED,

		/**
		 * jetcd ended the watch: an error it does not retry (the failure, when it reported one), or
		 * a closed client.
		 */
		ENDED

	}

	/**
	 * What a watch hands over, on its executor.
	 */
	public interface Listener {

		/**
		 * New events, in revision order.
		 * @param events the events
		 * @param revision the revision of the last of them
		 */
		void events(List<WatchEvent> events, long revision);

		/**
		 * The watch ended and what it would hand over can no longer be trusted: read again, and
		 * watch from that read's revision + 1.
		 * @param reason why, for logs
		 */
		void resync(String reason);

		/**
		 * The watch ended: {@link #resync} unless overridden, for an owner that tells the causes
		 * apart.
		 * @param cause why
		 * @param reason why, for logs
		 * @param failure the last error jetcd reported, if any
		 */
		default void ended(Cause cause, String reason, @Nullable EtcdAccessException failure) {
			resync(reason);
		}

		/**
		 * etcd created the watch (and again after each reconnect that needs no resync): it hands over
		 * the changes after {@code revision}, or from the requested revision when that is older.
		 * @param revision etcd's revision when it created the watch
		 */
		default void created(long revision) {
		}

		/**
		 * jetcd reported an error it resumes from, just before {@link #connected connected(false)}.
		 * @param failure the error
		 */
		default void failed(EtcdAccessException failure) {
		}

		/**
		 * Whether changes reach the watch: false after a transport error, true again when etcd
		 * answers.
		 * @param connected whether they do
		 */
		default void connected(boolean connected) {
		}

		/**
		 * etcd confirmed that every event up to a revision was handed over: the answer to a
		 * {@linkplain EtcdWatch#requestProgress() progress request}.
		 * @param revision the revision
		 */
		default void progressed(long revision) {
		}

	}

}
