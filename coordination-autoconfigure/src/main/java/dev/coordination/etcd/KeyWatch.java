package dev.coordination.etcd;

import io.etcd.jetcd.watch.WatchEvent;

/**
 * A running watch of one key or of the keys under a prefix, started by
 * {@link EtcdTemplate#watch(String, long, Listener)} or
 * {@link EtcdTemplate#watchPrefix(String, long, Listener)}.
 * <p>
 * Every event carries the value it replaced ({@link WatchEvent#getPrevKV()}), also for a delete.
 * The listener is called on the watch's own thread, one call at a time, in revision order; never on
 * a gRPC thread. A transport error (etcd restarted, a connection lost) is not reported: the watch
 * resumes after the last revision it delivered, with no event lost and none delivered twice. What
 * it cannot hide is reported: a history compacted past the revision it needed
 * ({@link Listener#onCompacted}), and a failure that ends it ({@link Listener#onError}).
 * <p>
 * An exception thrown by the listener is logged at WARN and the watch goes on with the next change:
 * the one that failed is not delivered again. Not guaranteed: the changes of a compacted history,
 * which etcd no longer has; and a watch whose etcd was restored from a backup to an older revision
 * ends with {@link Listener#onError} rather than mixing two histories. Thread-safe.
 */
public interface KeyWatch extends AutoCloseable {

	/**
	 * Stop the watch. Idempotent; once it returns no listener call starts (one already running
	 * finishes).
	 */
	@Override
	void close();

	/**
	 * Whether the watch was closed, by {@link #close()} or by a failure that ended it.
	 * @return whether it was
	 */
	boolean isClosed();

	/**
	 * Last revision delivered to the listener, by an event, a progress notice or a compaction's
	 * resume revision; before that, {@code fromRevision - 1}, or for a watch of the changes after now,
	 * the revision etcd was at when the watch started (0 until etcd answered).
	 * @return the revision
	 */
	long revision();

	/**
	 * Ask etcd, without waiting, how far the watch is: the answer arrives through
	 * {@link Listener#onProgress} with a revision up to which nothing under the watched keys changed
	 * beyond the events already delivered. On etcd 3.4.31+ and 3.5.13+ that is etcd's answer to a
	 * progress request (jetcd's {@code Watcher.requestProgress()}); older etcd can answer before
	 * events still on their way (etcd-io/etcd#15220), so there the watch reads the keys instead, at
	 * etcd's current revision and at the last delivered one, and answers only when the keys show no
	 * change in between (a key created and deleted again in between leaves no trace in such a read:
	 * its events, if still on their way, arrive after the answer, logged at WARN, rather than being
	 * dropped). A request while etcd does not answer, or while changes are still on their way, gets
	 * no answer: ask again later.
	 */
	void requestProgress();

	/**
	 * What a watch hands over, on the watch's thread, one call at a time.
	 */
	@FunctionalInterface
	interface Listener {

		/**
		 * A key changed: {@link WatchEvent#getKeyValue()} is the new value (for a delete, the key
		 * with the delete's revision), {@link WatchEvent#getPrevKV()} the value before it (a
		 * {@code KeyValue} with {@code getVersion() == 0} when the key did not exist before).
		 * @param event the event
		 */
		void onEvent(WatchEvent event);

		/**
		 * etcd confirmed that nothing under the watched keys changed, beyond the events already
		 * delivered, up to {@code revision}: the answer to {@link KeyWatch#requestProgress()}, or
		 * etcd's periodic notice to a quiet watch.
		 * @param revision the revision
		 */
		default void onProgress(long revision) {
		}

		/**
		 * etcd compacted the history the watch needed: the changes after the last delivered revision up to
		 * {@code resumeRevision} are not delivered (they cannot be recovered). The watch goes on with
		 * the changes after {@code resumeRevision}; read the keys at {@code resumeRevision} if their
		 * state matters.
		 * @param compactRevision the revision etcd compacted its history up to
		 * @param resumeRevision etcd's revision when the watch resumed
		 */
		default void onCompacted(long compactRevision, long resumeRevision) {
		}

		/**
		 * The watch ended on a failure it cannot recover from, such as a permission denied: nothing
		 * more is delivered. Not called for transport errors, which the watch rides out.
		 * @param failure the failure, naming the key
		 */
		default void onError(EtcdAccessException failure) {
		}

	}

}
