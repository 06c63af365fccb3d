package dev.coordination.config.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.etcd.jetcd.KeyValue;
import org.jspecify.annotations.Nullable;

/**
 * The configuration an application imported from etcd: its contexts in increasing precedence, the
 * properties of all of them at one revision, and how current they are.
 * <p>
 * Made while the application starts and kept up to date by {@link EtcdConfigWatcher}. The
 * {@code etcd:} property sources in the {@code Environment} read its immutable snapshot, so a
 * refresh is one swap that every context sees at once. Thread-safe: the snapshot is immutable and
 * every other field volatile or guarded; refreshes are applied by the watch's thread only.
 */
public final class EtcdConfigState {

	private final Map<String, EtcdConfigDataResource> contexts = new LinkedHashMap<>();

	private final Map<String, EtcdPropertySource> sources = new ConcurrentHashMap<>();

	private final Map<String, List<KeyValue>> read = new ConcurrentHashMap<>();

	private volatile ConfigSnapshot snapshot = ConfigSnapshot.EMPTY;

	private volatile boolean loaded;

	private volatile boolean incomplete;

	private volatile @Nullable Instant lastRefresh;

	private volatile @Nullable String lastError;

	private volatile @Nullable Instant lastErrorAt;

	private volatile @Nullable Instant staleSince;

	private volatile long appliedAt;

	private volatile boolean watched;

	EtcdConfigState() {
	}

	/**
	 * The revision of the configuration in the {@code Environment}; 0 before etcd was read.
	 * @return the revision
	 */
	public long revision() {
		return this.snapshot.revision();
	}

	/**
	 * The key prefixes of the contexts, in increasing precedence, for example
	 * {@code /config/application/} and {@code /config/orders/}.
	 * @return the prefixes
	 */
	public List<String> contexts() {
		return resources().stream().map(EtcdConfigDataResource::getPath).toList();
	}

	/**
	 * The properties of every context as the {@code Environment} has them, by context prefix.
	 * @return the properties
	 */
	public Map<String, Map<String, Object>> properties() {
		return this.snapshot.contexts();
	}

	/**
	 * Whether etcd was read: false while an {@code optional:etcd:} import waits for etcd.
	 * @return whether the configuration is there
	 */
	public boolean isLoaded() {
		return this.loaded;
	}

	/**
	 * Whether changes reach this application now; false while the watch is cut off from etcd, when
	 * the last values stay.
	 * @return whether it is live
	 */
	public boolean isLive() {
		return this.loaded && this.watched && this.staleSince == null;
	}

	/**
	 * Whether a watch keeps it current; false with {@code coordination.etcd.config.watch.enabled=false}
	 * or when the application has no etcd client: the values read at start-up stay.
	 * @return whether it is watched
	 */
	public boolean isWatched() {
		return this.watched;
	}

	/**
	 * What the configuration is: {@code waiting} (etcd not read yet), {@code static} (read at
	 * start-up, not watched), {@code live} or {@code stale} (cut off from etcd, last values kept).
	 * @return the state
	 */
	public String state() {
		return !this.loaded ? "waiting" : !this.watched ? "static" : (this.staleSince == null) ? "live" : "stale";
	}

	void watched(boolean watched) {
		this.watched = watched;
	}

	/**
	 * Since when changes do not reach this application.
	 * @return the time, empty while live
	 */
	public Optional<Instant> staleSince() {
		return Optional.ofNullable(this.staleSince);
	}

	/**
	 * When a change was last applied to the {@code Environment} (or etcd first read).
	 * @return the time
	 */
	public Optional<Instant> lastRefresh() {
		return Optional.ofNullable(this.lastRefresh);
	}

	/**
	 * The last change that was not applied, with its key and reason.
	 * @return the error, empty when none was rejected since start-up or since the last good refresh
	 */
	public Optional<String> lastError() {
		return Optional.ofNullable(this.lastError);
	}

	/**
	 * When {@link #lastError()} happened.
	 * @return the time
	 */
	public Optional<Instant> lastErrorAt() {
		return Optional.ofNullable(this.lastErrorAt);
	}

	/**
	 * The contexts in increasing precedence.
	 */
	synchronized List<EtcdConfigDataResource> resources() {
		List<EtcdConfigDataResource> resources = new ArrayList<>(this.contexts.values());
		resources.sort(Comparator.comparingInt(EtcdConfigDataResource::getPrecedence));
		return resources;
	}

	ConfigSnapshot snapshot() {
		return this.snapshot;
	}

	/**
	 * The property source of a context, made once: the {@code Environment} and every refresh share it.
	 */
	synchronized EtcdPropertySource source(EtcdConfigDataResource context) {
		this.contexts.putIfAbsent(context.getPath(), context);
		return this.sources.computeIfAbsent(context.getPath(), (path) -> new EtcdPropertySource(path, this));
	}

	Collection<EtcdPropertySource> sources() {
		return this.sources.values();
	}

	/**
	 * A context read at start-up.
	 */
	synchronized void loaded(EtcdConfigDataResource context, long revision, List<KeyValue> kvs,
			Map<String, Object> properties) {
		this.read.put(context.getPath(), List.copyOf(kvs));
		this.snapshot = this.snapshot.with(revision, context.getPath(), properties);
		this.loaded = !this.incomplete;
		this.lastRefresh = Instant.now();
	}

	/**
	 * A context could not be read at start-up: the watch reads everything before it watches.
	 */
	synchronized void incomplete() {
		this.incomplete = true;
		this.loaded = false;
	}

	/**
	 * The keys read at start-up, for the watch to continue from.
	 */
	List<KeyValue> readAtStartUp() {
		List<KeyValue> kvs = new ArrayList<>();
		this.read.values().forEach(kvs::addAll);
		return kvs;
	}

	void apply(ConfigSnapshot snapshot) {
		this.snapshot = snapshot;
		this.appliedAt = System.nanoTime();
		this.loaded = true;
		this.lastRefresh = Instant.now();
	}

	/**
	 * {@link System#nanoTime()} of the last swap.
	 */
	long appliedAt() {
		return this.appliedAt;
	}

	void rejected(String error) {
		this.lastError = error;
		this.lastErrorAt = Instant.now();
	}

	void clearError() {
		this.lastError = null;
		this.lastErrorAt = null;
	}

	void stale(boolean stale) {
		if (!stale) {
			this.staleSince = null;
		}
		else if (this.staleSince == null) {
			this.staleSince = Instant.now();
		}
	}

}
