package dev.coordination.etcd.internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdAuthenticationException;
import dev.coordination.etcd.EtcdCompactedException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.KeyWatch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.watch.WatchEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The {@link KeyWatch} of {@link EtcdTemplate}: a chain of {@link EtcdWatch}es on one thread, each
 * started after the last revision delivered when the one before could no longer be trusted (a
 * reconnect that jetcd resumed on its own, an end jetcd does not retry), so that no change is lost
 * or delivered twice. A compaction is the one gap it reports ({@link KeyWatch.Listener#onCompacted})
 * before going on from etcd's current revision; an authentication failure that outlasts jetcd's token
 * refresh, a closed client and an etcd gone back in time end it ({@link KeyWatch.Listener#onError}).
 * Every call of the listener, and every change of state, runs on the watch's one thread.
 */
public final class EtcdKeyWatch implements KeyWatch {

	private static final Log logger = LogFactory.getLog(EtcdKeyWatch.class);

	// about 3 seconds of retries at the backoff's 100 ms to 1 s
	private static final int MAX_BEHIND = 6;

	private final EtcdTemplate etcd;

	private final String key;

	private final boolean prefix;

	private final Listener listener;

	private final WatchProgress progress;

	private final ScheduledThreadPoolExecutor thread;

	private final RetryPolicy.Backoff backoff = RetryPolicy.DEFAULT.backoff();

	private volatile boolean closed;

	private volatile long revision;

	private volatile @Nullable EtcdWatch current;

	// on the thread only, from here on
	// whether revision is a revision to go on after: false for a watch of the changes after now
	// until etcd created it
	private boolean anchored;

	// the newest revision etcd is known to have reached
	private long known;

	// the revision of the last event delivered: where the duplicates end (revision can be ahead, by a
	// progress answer)
	private long lastEvent;

	private long generation;

	private int authenticationFailures;

	// created notices in a row below a revision the watch had seen
	private int behind;

	private EtcdKeyWatch(EtcdTemplate etcd, String key, boolean prefix, long fromRevision, WatchProgress progress,
			Listener listener) {
		this.etcd = etcd;
		this.key = key;
		this.prefix = prefix;
		this.listener = listener;
		this.progress = progress;
		this.anchored = fromRevision > 0;
		this.revision = Math.max(0, fromRevision - 1);
		this.lastEvent = this.revision;
		this.thread = new ScheduledThreadPoolExecutor(1, CoordinationThreads.daemon("coordination-watch-" + key));
		// a closed watch runs nothing more: no retry after close()
		this.thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
	}

	/**
	 * Start watching.
	 * @param etcd the etcd access
	 * @param key the key, or the prefix
	 * @param prefix whether {@code key} is a prefix
	 * @param fromRevision the first revision to deliver, 0 for the changes after now
	 * @param progress whether etcd's progress answers can be trusted
	 * @param listener the listener
	 * @return the running watch
	 */
	public static EtcdKeyWatch start(EtcdTemplate etcd, String key, boolean prefix, long fromRevision,
			WatchProgress progress, Listener listener) {
		EtcdKeyWatch watch = new EtcdKeyWatch(etcd, key, prefix, fromRevision, progress, listener);
		// learn the members' versions before the first progress request
		progress.trusted();
		watch.onThread(() -> watch.open(fromRevision));
		return watch;
	}

	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		EtcdWatch watch = this.current;
		if (watch != null) {
			watch.close();
		}
		// no waiting: close() may be called by the listener, on the thread
		this.thread.shutdown();
	}

	@Override
	public boolean isClosed() {
		return this.closed;
	}

	@Override
	public long revision() {
		return this.revision;
	}

	@Override
	public void requestProgress() {
		onThread(() -> {
			EtcdWatch watch = this.current;
			if (watch == null || !this.anchored) {
				return;
			}
			if (this.progress.trusted()) {
				try {
					watch.requestProgress();
				}
				catch (RuntimeException ex) {
					// a stream jetcd is replacing: the request gets no answer
					logger.debug("Could not ask the watch of " + describe() + " for progress", ex);
				}
			}
			else {
				confirmByReading(this.generation, this.revision);
			}
		});
	}

	private void onThread(Runnable task) {
		if (this.closed) {
			return;
		}
		try {
			this.thread.execute(() -> {
				if (!this.closed) {
					task.run();
				}
			});
		}
		catch (RejectedExecutionException ex) {
			// closed
		}
	}

	private void later(Runnable task) {
		try {
			this.thread.schedule(() -> {
				if (!this.closed) {
					task.run();
				}
			}, this.backoff.nextDelayNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// closed
		}
	}

	private void open(long fromRevision) {
		long generation = ++this.generation;
		EtcdWatch watch;
		try {
			watch = EtcdWatch.withPrevious(this.etcd, this.key, this.prefix, fromRevision, this.known, this::onThread,
					new EtcdWatch.Listener() {

						@Override
						public void events(List<WatchEvent> events, long revision) {
							if (generation == EtcdKeyWatch.this.generation) {
								deliver(events);
							}
						}

						@Override
						public void resync(String reason) {
							// ended() is overridden: never called
						}

						@Override
						public void ended(EtcdWatch.Cause cause, String reason, @Nullable EtcdAccessException failure) {
							if (generation == EtcdKeyWatch.this.generation) {
								onEnded(cause, reason, failure);
							}
						}

						@Override
						public void created(long revision) {
							if (generation == EtcdKeyWatch.this.generation) {
								onCreated(revision);
							}
						}

						@Override
						public void failed(EtcdAccessException failure) {
							if (generation == EtcdKeyWatch.this.generation) {
								onFailed(failure);
							}
						}

						@Override
						public void progressed(long revision) {
							if (generation == EtcdKeyWatch.this.generation) {
								progressTo(revision);
							}
						}

					});
		}
		catch (RuntimeException ex) {
			fail(EtcdExceptionTranslator.translate("watch " + describe(), ex));
			return;
		}
		this.current = watch;
		if (this.closed) {
			watch.close();
		}
	}

	private long next() {
		return this.anchored ? this.revision + 1 : 0;
	}

	private void deliver(List<WatchEvent> events) {
		// events of one transaction share a revision: compare with the revision before them
		long before = this.lastEvent;
		for (WatchEvent event : events) {
			long revision = event.getKeyValue().getModRevision();
			if (revision <= before || this.closed) {
				continue;
			}
			if (revision <= this.revision && revision > this.lastEvent) {
				// only after a progress answer confirmed by reading, which a key created and deleted in
				// between can fool: late rather than lost
				logger.warn("A change of " + describe() + " at revision " + revision + " arrived after a progress answer at "
						+ this.revision + " (etcd before 3.4.31 and 3.5.13 answers progress requests out of order)");
			}
			this.lastEvent = Math.max(this.lastEvent, revision);
			this.revision = Math.max(this.revision, revision);
			this.known = Math.max(this.known, revision);
			this.anchored = true;
			try {
				this.listener.onEvent(event);
			}
			catch (RuntimeException ex) {
				logger.warn("The listener of the watch of " + describe() + " failed on the " + event.getEventType()
						+ " of " + EtcdKeys.string(event.getKeyValue().getKey()) + " at revision " + revision
						+ "; the watch goes on", ex);
			}
		}
	}

	private void progressTo(long revision) {
		if (revision <= this.revision || this.closed) {
			return;
		}
		this.revision = revision;
		this.known = Math.max(this.known, revision);
		try {
			this.listener.onProgress(revision);
		}
		catch (RuntimeException ex) {
			logger.warn("The listener of the watch of " + describe() + " failed on the progress to revision "
					+ revision + "; the watch goes on", ex);
		}
	}

	private void onCreated(long revision) {
		this.authenticationFailures = 0;
		this.behind = 0;
		this.backoff.reset();
		if (!this.anchored) {
			// the changes after now: after the revision etcd created the watch at
			this.anchored = true;
			this.revision = revision;
			this.lastEvent = revision;
		}
	}

	private void onFailed(EtcdAccessException failure) {
		// jetcd refreshes its token and tries again: a second refusal in a row is not an expired token
		if (failure instanceof EtcdAuthenticationException && ++this.authenticationFailures >= 2) {
			fail(failure);
		}
	}

	private void onEnded(EtcdWatch.Cause cause, String reason, @Nullable EtcdAccessException failure) {
		switch (cause) {
			case COMPACTED -> {
				long compacted = (failure instanceof EtcdCompactedException ex) ? ex.getCompactedRevision() : -1;
				logger.info("The history of " + describe() + " after revision " + this.revision
						+ " was compacted (up to " + compacted + "): going on from etcd's current revision");
				resumeAfterCompaction(this.generation, compacted);
			}
			case BEHIND -> {
				// a member that lags behind catches up within moments; an etcd restored from a backup stays behind
				if (++this.behind >= MAX_BEHIND) {
					fail(new EtcdAccessException("watch " + describe(), reason + ": the changes after revision "
							+ this.revision + " cannot be told apart; read again and watch anew", failure));
				}
				else {
					long generation = this.generation;
					later(() -> {
						if (generation == this.generation) {
							open(next());
						}
					});
				}
			}
			case RESUMED -> open(next());
			case ENDED -> {
				if (failure instanceof EtcdAuthenticationException) {
					fail(failure);
				}
				else {
					if (logger.isDebugEnabled()) {
						logger.debug("The watch of " + describe() + " ended (" + reason + "), watching again after revision "
								+ this.revision);
					}
					long generation = this.generation;
					later(() -> {
						if (generation == this.generation) {
							open(next());
						}
					});
				}
			}
		}
	}

	private void resumeAfterCompaction(long generation, long compacted) {
		countAsync(0, 0).whenComplete((response, failure) -> onThread(() -> {
			if (generation != this.generation) {
				return;
			}
			if (failure != null) {
				logger.debug("Could not read the revision of " + describe() + " after a compaction, trying again",
						failure);
				later(() -> resumeAfterCompaction(generation, compacted));
				return;
			}
			this.backoff.reset();
			long resume = response.getHeader().getRevision();
			this.revision = Math.max(this.revision, resume);
			this.lastEvent = this.revision;
			this.known = Math.max(this.known, resume);
			this.anchored = true;
			try {
				this.listener.onCompacted(compacted, resume);
			}
			catch (RuntimeException ex) {
				logger.warn("The listener of the watch of " + describe() + " failed on the compaction up to revision "
						+ compacted + "; the watch goes on", ex);
			}
			open(next());
		}));
	}

	/**
	 * On etcd that can answer a progress request ahead of its events: read how many keys there are
	 * now and at the last delivered revision, and how many changed since; no change means etcd's
	 * current revision is the watch's progress.
	 */
	private void confirmByReading(long generation, long from) {
		countAsync(0, 0).thenCompose((now) -> {
			long at = now.getHeader().getRevision();
			if (at <= from) {
				return CompletableFuture.completedFuture(-1L);
			}
			return countAsync(at, from + 1).thenCompose((changed) -> !changed.getKvs().isEmpty()
					? CompletableFuture.completedFuture(-1L)
					: countAsync(from, 0).thenApply((then) -> (then.getCount() == now.getCount()) ? at : -1L));
		}).whenComplete((at, failure) -> onThread(() -> {
			if (failure != null) {
				logger.debug("Could not confirm the progress of the watch of " + describe(), failure);
			}
			// nothing delivered since the reads started
			else if (at > 0 && generation == this.generation && from == this.revision) {
				progressTo(at);
			}
		}));
	}

	/**
	 * Count the watched keys, or list those changed since a revision.
	 * @param revision the revision to read at, 0 for the current one
	 * @param changedSince the lowest mod revision of the keys to list, 0 to count every key
	 */
	private CompletableFuture<GetResponse> countAsync(long revision, long changedSince) {
		GetOption.Builder option = GetOption.builder().isPrefix(this.prefix);
		if (revision > 0) {
			option.withRevision(revision);
		}
		if (changedSince > 0) {
			// etcd filters the keys it returns by mod revision, not its count
			option.withKeysOnly(true).withMinModRevision(changedSince);
		}
		else {
			option.withCountOnly(true);
		}
		GetOption built = option.build();
		return this.etcd.callAsync("count " + describe(), this.etcd.getRequestTimeout(),
				() -> this.etcd.getClient().getKVClient().get(EtcdKeys.bytes(this.key), built));
	}

	private void fail(EtcdAccessException failure) {
		if (this.closed) {
			return;
		}
		close();
		logger.warn("The watch of " + describe() + " ended after revision " + this.revision + ": "
				+ failure.getMessage());
		try {
			this.listener.onError(failure);
		}
		catch (RuntimeException ex) {
			logger.warn("The listener of the watch of " + describe() + " failed on its end", ex);
		}
	}

	private String describe() {
		return this.prefix ? "the keys under " + this.key : this.key;
	}

	@Override
	public String toString() {
		return "KeyWatch of " + describe() + " at revision " + this.revision + (this.closed ? " (closed)" : "");
	}

}
