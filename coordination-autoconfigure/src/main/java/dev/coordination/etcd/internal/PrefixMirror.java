package dev.coordination.etcd.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.watch.WatchEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * A copy of the keys under some prefixes, read at one revision and kept current by one
 * {@link EtcdWatch} per prefix from the next revision. When a watch can no longer be trusted
 * (compaction, etcd back in time, a twice-broken stream), everything is read again at a new
 * revision and handed over as one change; a failed read is retried with the {@link RetryPolicy},
 * its delay counted from the start of the failed read.
 * At most one hand-over per {@code delay}: a change after a quiet {@code delay} is handed over at
 * once (leading edge); changes that arrive within {@code delay} of the last hand-over are gathered
 * and handed over together when that {@code delay} ends (trailing edge), so the last value always
 * arrives and a burst becomes one hand-over per {@code delay}. Reads, events
 * and the handler all run on the mirror's one thread, in order; no jetcd lock is held while the
 * handler runs. The service catalog, the configuration, the feature flags and the elections are
 * mirrors.
 */
public final class PrefixMirror {

	private static final Log logger = LogFactory.getLog(PrefixMirror.class);

	private final EtcdTemplate etcd;

	private final String name;

	private final List<String> roots;

	private final Predicate<String> keep;

	private final Duration delay;

	private final Handler handler;

	private final RetryPolicy.Backoff backoff;

	private final RepeatedFailureLog readFailures = new RepeatedFailureLog(logger);

	private final WatchProgress progress;

	private final boolean virtualThread;

	private volatile @Nullable ScheduledExecutorService thread;

	private volatile boolean running;

	private volatile long revision;

	// on the mirror's thread only, from here on
	private final Map<String, KeyValue> kvs = new HashMap<>();

	private final Set<String> pending = new LinkedHashSet<>();

	private final List<EtcdWatch> watches = new ArrayList<>();

	private long pendingSince;

	// System.nanoTime() when changes were last handed over, 0 before the first time
	private long lastFlushAt;

	private @Nullable ScheduledFuture<?> flush;

	private long readRevision;

	private long generation;

	// progress requests in a row that the watches left unanswered
	private int unanswered;

	/**
	 * Create a mirror on a platform thread.
	 * @param etcd the etcd access
	 * @param name what it mirrors, for logs and its thread's name
	 * @param roots the prefixes to watch, each ending with {@code /}
	 * @param keep which keys under them to keep
	 * @param delay the shortest time between two hand-overs: a change within it of the last one waits
	 * for its end, gathered with the others
	 * @param retry how long to wait before reading again after a failed read
	 * @param progress whether and how often the watches ask etcd how far they are
	 * @param handler what to do with them
	 */
	public PrefixMirror(EtcdTemplate etcd, String name, List<String> roots, Predicate<String> keep, Duration delay,
			RetryPolicy retry, WatchProgress progress, Handler handler) {
		this(etcd, name, roots, keep, delay, retry, progress, handler, false);
	}

	/**
	 * Create a mirror.
	 * @param etcd the etcd access
	 * @param name what it mirrors, for logs and its thread's name
	 * @param roots the prefixes to watch, each ending with {@code /}
	 * @param keep which keys under them to keep
	 * @param delay the shortest time between two hand-overs: a change within it of the last one waits
	 * for its end, gathered with the others
	 * @param retry how long to wait before reading again after a failed read
	 * @param progress whether and how often the watches ask etcd how far they are
	 * @param handler what to do with them
	 * @param virtualThread whether the mirror's thread is a virtual thread, for a handler that runs
	 * application code (see {@link CoordinationThreads#forApplicationCode})
	 */
	public PrefixMirror(EtcdTemplate etcd, String name, List<String> roots, Predicate<String> keep, Duration delay,
			RetryPolicy retry, WatchProgress progress, Handler handler, boolean virtualThread) {
		this.virtualThread = virtualThread;
		this.backoff = retry.backoff();
		this.progress = progress;
		this.etcd = etcd;
		this.name = name;
		this.roots = List.copyOf(roots);
		this.keep = keep;
		this.delay = delay;
		this.handler = handler;
	}

	/**
	 * Start: from a read made before, or by reading.
	 * @param revision the revision of the read, or 0 to read first
	 * @param read what that read returned
	 */
	public void start(long revision, Collection<KeyValue> read) {
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
				CoordinationThreads.forApplicationCode("coordination-" + this.name, this.virtualThread));
		// a stopped mirror hands nothing over: no coalesced flush or retry runs after stop()
		executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
		this.thread = executor;
		this.running = true;
		long interval = this.progress.interval().toNanos();
		if (interval > 0) {
			// learn the members' versions before the first request
			this.progress.trusted();
			executor.scheduleWithFixedDelay(this::requestProgress, interval, interval, TimeUnit.NANOSECONDS);
		}
		executor.execute(() -> {
			if (revision > 0) {
				for (KeyValue kv : read) {
					this.kvs.put(EtcdKeys.string(kv.getKey()), kv);
				}
				this.readRevision = revision;
				this.revision = revision;
				watch(revision);
			}
			else {
				readAndWatchOrRetry();
			}
		});
	}

	/**
	 * Stop watching; waits up to 5 seconds for the handler to finish.
	 */
	public void stop() {
		this.running = false;
		ScheduledExecutorService executor = this.thread;
		if (executor == null) {
			return;
		}
		try {
			executor.execute(() -> {
				this.generation++;
				closeWatches();
			});
		}
		catch (RejectedExecutionException ex) {
			// stopped already
		}
		executor.shutdown();
		try {
			if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
				executor.shutdownNow();
			}
		}
		catch (InterruptedException ex) {
			executor.shutdownNow();
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * The revision the mirror has seen up to.
	 */
	public long revision() {
		return this.revision;
	}

	private void onThread(Runnable task) {
		ScheduledExecutorService executor = this.thread;
		if (executor == null || !this.running) {
			return;
		}
		try {
			executor.execute(task);
		}
		catch (RejectedExecutionException ex) {
			// stopped
		}
	}

	private void readAndWatchOrRetry() {
		long startedAt = System.nanoTime();
		if (!this.running || readAndWatch()) {
			return;
		}
		ScheduledExecutorService executor = this.thread;
		Assert.state(executor != null, "A mirror reads on its thread, which start() creates");
		// the delay counts from the start of the read: one that waited for its timeout while etcd was
		// down is tried again at once, so the mirror is not still waiting when etcd answers
		long wait = this.backoff.nextDelayNanos() - (System.nanoTime() - startedAt);
		try {
			executor.schedule(this::readAndWatchOrRetry, Math.max(0, wait), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// stopped
		}
	}

	/**
	 * Read every prefix at one revision, hand over what changed, and watch from the next revision.
	 * @return whether it worked
	 */
	private boolean readAndWatch() {
		long generation = ++this.generation;
		closeWatches();
		Map<String, KeyValue> read = new HashMap<>();
		long at = 0;
		try {
			for (String root : this.roots) {
				GetOption.Builder option = GetOption.builder().isPrefix(true);
				if (at > 0) {
					option.withRevision(at);
				}
				GetResponse response = this.etcd.call("read " + root,
						() -> this.etcd.getClient().getKVClient().get(EtcdKeys.bytes(root), option.build()));
				if (at == 0) {
					at = response.getHeader().getRevision();
				}
				for (KeyValue kv : response.getKvs()) {
					String key = EtcdKeys.string(kv.getKey());
					if (this.keep.test(key)) {
						read.put(key, kv);
					}
				}
			}
		}
		catch (EtcdAccessException ex) {
			this.readFailures.failed("Could not read " + describeRoots() + " (" + this.name + ") from etcd: "
					+ FailureDescription.describe(ex, this.etcd) + "; retrying until etcd answers", ex);
			ConnectBackoff.shorten(this.etcd.getClient());
			this.handler.connected(false);
			return false;
		}
		this.backoff.reset();
		this.readFailures.recovered("Read " + describeRoots() + " (" + this.name + ") from etcd again");
		long receivedAt = System.nanoTime();
		boolean first = this.readRevision == 0;
		Set<String> changed = new LinkedHashSet<>();
		this.kvs.forEach((key, kv) -> {
			KeyValue now = read.get(key);
			if (now == null || !now.getValue().equals(kv.getValue())) {
				changed.add(key);
			}
		});
		read.keySet().stream().filter((key) -> !this.kvs.containsKey(key)).forEach(changed::add);
		this.kvs.clear();
		this.kvs.putAll(read);
		this.readRevision = at;
		this.revision = at;
		this.handler.connected(true);
		if (first || !changed.isEmpty()) {
			this.pending.addAll(changed);
			if (this.pendingSince == 0) {
				this.pendingSince = receivedAt;
			}
			flush(first);
		}
		if (generation == this.generation) {
			watch(at);
		}
		return true;
	}

	private void watch(long at) {
		long generation = this.generation;
		for (String root : this.roots) {
			this.watches.add(EtcdWatch.prefix(this.etcd, root, at + 1, this::onThread, new EtcdWatch.Listener() {

				@Override
				public void events(List<WatchEvent> events, long revision) {
					onEvents(generation, events, revision, System.nanoTime());
				}

				@Override
				public void resync(String reason) {
					if (generation == PrefixMirror.this.generation) {
						logger.info("Reading " + PrefixMirror.this.roots + " (" + PrefixMirror.this.name + ") again: "
								+ reason);
						restart(generation);
					}
				}

				@Override
				public void connected(boolean connected) {
					if (generation == PrefixMirror.this.generation) {
						PrefixMirror.this.handler.connected(connected);
					}
				}

				@Override
				public void progressed(long revision) {
					if (generation == PrefixMirror.this.generation) {
						PrefixMirror.this.revision = Math.max(PrefixMirror.this.revision, revision);
						if (PrefixMirror.this.pending.isEmpty()) {
							PrefixMirror.this.handler.progressed(PrefixMirror.this.revision);
						}
					}
				}

			}));
		}
	}

	private void onEvents(long generation, List<WatchEvent> events, long revision, long receivedAt) {
		if (generation != this.generation) {
			return;
		}
		for (WatchEvent event : events) {
			KeyValue kv = event.getKeyValue();
			String key = EtcdKeys.string(kv.getKey());
			if (!this.keep.test(key)) {
				continue;
			}
			KeyValue before = (event.getEventType() == WatchEvent.EventType.PUT) ? this.kvs.put(key, kv)
					: this.kvs.remove(key);
			if (before == null && event.getEventType() != WatchEvent.EventType.PUT) {
				continue;
			}
			if (before != null && event.getEventType() == WatchEvent.EventType.PUT
					&& before.getValue().equals(kv.getValue())) {
				continue;
			}
			if (this.pending.isEmpty()) {
				this.pendingSince = receivedAt;
			}
			this.pending.add(key);
		}
		this.revision = Math.max(this.revision, revision);
		if (this.pending.isEmpty()) {
			this.handler.progressed(this.revision);
		}
		else if (this.flush == null) {
			// leading edge: after a quiet delay the change goes at once; within the delay of the last
			// hand-over it waits for the delay to end, gathering what else comes
			long wait = (this.lastFlushAt == 0) ? 0 : this.delay.toNanos() - (System.nanoTime() - this.lastFlushAt);
			if (wait <= 0) {
				flush(false);
				return;
			}
			ScheduledExecutorService executor = this.thread;
			Assert.state(executor != null, "A mirror handles events on its thread, which start() creates");
			try {
				this.flush = executor.schedule(() -> flush(false), wait, TimeUnit.NANOSECONDS);
			}
			catch (RejectedExecutionException ex) {
				// stopped
			}
		}
	}

	private void flush(boolean always) {
		if (!this.running) {
			return;
		}
		if (this.flush != null) {
			this.flush.cancel(false);
			this.flush = null;
		}
		if (this.pending.isEmpty() && !always) {
			return;
		}
		// never 0, which means "nothing handed over yet"
		this.lastFlushAt = System.nanoTime() | 1;
		Set<String> changed = Set.copyOf(this.pending);
		long since = this.pendingSince;
		this.pending.clear();
		this.pendingSince = 0;
		try {
			this.handler.changed(Map.copyOf(this.kvs), changed, this.revision, since);
		}
		catch (RuntimeException ex) {
			logger.error("Handling changes of " + this.roots + " (" + this.name + ") failed", ex);
		}
	}

	private String describeRoots() {
		return String.join(", ", this.roots);
	}

	private void restart(long generation) {
		if (generation != this.generation || !this.running) {
			return;
		}
		readAndWatchOrRetry();
	}

	private void closeWatches() {
		this.watches.forEach(EtcdWatch::close);
		this.watches.clear();
		this.unanswered = 0;
	}

	/**
	 * Ask every watch how far it is, where etcd answers in order. Their answers move the mirror on
	 * (its revision stays current while nothing under its prefixes changes, and a watch that breaks
	 * resumes from there); a watch that leaves two requests in a row unanswered is silent (a stream
	 * cut off without an error, which gRPC's keep-alive notices only after
	 * {@code keepalive-time + keepalive-timeout}): the mirror counts as disconnected until an answer
	 * arrives.
	 */
	private void requestProgress() {
		if (!this.running || this.watches.isEmpty() || !this.progress.trusted()) {
			return;
		}
		boolean answered = true;
		for (EtcdWatch watch : this.watches) {
			try {
				answered &= watch.requestProgress();
			}
			catch (RuntimeException ex) {
				// a stream jetcd is replacing: the next request goes to the new one
				logger.debug("Could not ask the watch of " + this.roots + " (" + this.name + ") for progress", ex);
			}
		}
		if (answered) {
			if (this.unanswered >= 2) {
				logger.info("etcd answers the watch of " + this.roots + " (" + this.name + ") again");
			}
			this.unanswered = 0;
		}
		else if (++this.unanswered == 2) {
			logger.warn("etcd has not answered the watch of " + this.roots + " (" + this.name + ") for "
					+ this.progress.interval().multipliedBy(2).toMillis() + " ms: its changes may not arrive until it answers");
			this.handler.connected(false);
		}
	}

	/**
	 * What a mirror hands its changes to, on the mirror's thread.
	 */
	public interface Handler {

		/**
		 * Keys changed.
		 * @param kvs every key kept, as of {@code revision}
		 * @param changed the keys that changed since the last call (put, changed or deleted)
		 * @param revision the revision
		 * @param receivedAt {@link System#nanoTime()} when the first of the changes arrived
		 */
		void changed(Map<String, KeyValue> kvs, Set<String> changed, long revision, long receivedAt);

		/**
		 * Whether changes reach the mirror: false when a read failed or a watch was cut off, true
		 * again when etcd answers.
		 * @param connected whether they do
		 */
		default void connected(boolean connected) {
		}

		/**
		 * The watch moved on to a revision without changing a kept key (a put of the same value, a
		 * change of a key that is not kept).
		 * @param revision the revision
		 */
		default void progressed(long revision) {
		}

	}

	@Override
	public String toString() {
		return Objects.toString(this.roots);
	}

}
