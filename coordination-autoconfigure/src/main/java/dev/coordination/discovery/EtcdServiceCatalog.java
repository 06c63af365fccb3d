package dev.coordination.discovery;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.coordination.etcd.CoordinationThreads;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdKeys;
import dev.coordination.etcd.EtcdTemplate;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.SmartLifecycle;

/**
 * {@link ServiceDiscovery} fed by ONE prefix watch: the catalog is read at one revision, then
 * watched from the next. jetcd resumes the watch after a reconnect from the last revision it saw;
 * events it replays are dropped by their revision. When the history was compacted, the catalog is
 * read again at a new revision and watched from there. Records that are not valid registrations are
 * skipped with a WARN, never breaking the catalog.
 */
public class EtcdServiceCatalog implements ServiceDiscovery, SmartLifecycle {

	/**
	 * Lifecycle phase: started before the registration and the web server, so lookups answer when
	 * the application is ready.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

	private static final Log logger = LogFactory.getLog(EtcdServiceCatalog.class);

	private static final long RETRY_MILLIS = 1000;

	private final EtcdTemplate etcd;

	private final String prefix;

	private final DiscoveryMetrics metrics;

	private final List<DiscoveryListener> listeners = new CopyOnWriteArrayList<>();

	// the catalog's thread: reads, watch events and listener calls, one at a time and in order
	private volatile ScheduledExecutorService reader;

	// a new snapshot per change: lookups read it without locking
	private volatile Map<String, List<ServiceRecord>> snapshot = Map.of();

	private volatile long revision;

	// on the catalog's thread only: the catalog as of `revision`, by key
	private final Map<String, ServiceRecord> records = new HashMap<>();

	// on the catalog's thread only: the revision of the last change applied per key, to drop replays
	private final Map<String, Long> changedAt = new HashMap<>();

	// on the catalog's thread only: the revision of the last full read
	private long readRevision;

	// on the catalog's thread only
	private Watch.Watcher watcher;

	// on the catalog's thread only: counts reads and watches, so a late callback of an old watch is ignored
	private long generation;

	private volatile boolean running;

	/**
	 * Create a catalog.
	 * @param etcd the etcd access
	 * @param prefix the normalised prefix of all registrations, for example {@code /services}
	 * @param metrics where to report skipped records
	 */
	public EtcdServiceCatalog(EtcdTemplate etcd, String prefix, DiscoveryMetrics metrics) {
		this.etcd = etcd;
		this.prefix = prefix + "/";
		this.metrics = metrics;
		metrics.catalog(this);
	}

	@Override
	public List<ServiceRecord> instances(String serviceId) {
		return allInstances(serviceId).stream().filter((record) -> record.status() == InstanceStatus.UP).toList();
	}

	@Override
	public List<ServiceRecord> allInstances(String serviceId) {
		return this.snapshot.getOrDefault(serviceId, List.of());
	}

	@Override
	public Set<String> services() {
		return Collections.unmodifiableSet(new TreeSet<>(this.snapshot.keySet()));
	}

	@Override
	public long revision() {
		return this.revision;
	}

	@Override
	public void addListener(DiscoveryListener listener) {
		this.listeners.add(listener);
	}

	@Override
	public void removeListener(DiscoveryListener listener) {
		this.listeners.remove(listener);
	}

	@Override
	public void start() {
		ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(CoordinationThreads.daemon("coordination-discovery"));
		this.reader = executor;
		this.running = true;
		// the first read while starting, so the catalog is there when the application is ready;
		// without etcd the application still starts, and the catalog follows once etcd answers
		Future<?> first = executor.submit(this::readAndWatchOrRetry);
		try {
			first.get(this.etcd.getRequestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			logger.warn("The service catalog is not read yet; it follows once etcd answers: " + ex);
		}
	}

	@Override
	public void stop() {
		this.running = false;
		ScheduledExecutorService executor = this.reader;
		if (executor == null) {
			return;
		}
		try {
			executor.execute(() -> {
				this.generation++;
				closeWatcher();
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

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	private void onCatalogThread(Runnable task) {
		ScheduledExecutorService executor = this.reader;
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
		if (!this.running || readAndWatch()) {
			return;
		}
		ScheduledExecutorService executor = this.reader;
		try {
			executor.schedule(this::readAndWatchOrRetry, RETRY_MILLIS, TimeUnit.MILLISECONDS);
		}
		catch (RejectedExecutionException ex) {
			// stopped
		}
	}

	/**
	 * Read the whole catalog at one revision and watch from the next. On the catalog's thread.
	 * @return whether it worked
	 */
	private boolean readAndWatch() {
		GetResponse response;
		try {
			response = this.etcd.getPrefix(this.prefix);
		}
		catch (EtcdAccessException ex) {
			logger.warn("Could not read the service catalog under " + this.prefix + " yet, retrying: " + ex.getMessage());
			return false;
		}
		long readAt = response.getHeader().getRevision();
		List<Change> changes = new ArrayList<>();
		long generation = ++this.generation;
		closeWatcher();
		Map<String, ServiceRecord> read = new HashMap<>();
		for (KeyValue kv : response.getKvs()) {
			ServiceRecord record = decode(kv);
			if (record != null) {
				read.put(EtcdKeys.string(kv.getKey()), record);
			}
		}
		// what the read changed, as events
		for (Map.Entry<String, ServiceRecord> entry : this.records.entrySet()) {
			ServiceRecord now = read.get(entry.getKey());
			if (now == null) {
				changes.add(new Change(entry.getValue(), null));
			}
			else if (!now.equals(entry.getValue())) {
				changes.add(new Change(entry.getValue(), now));
			}
		}
		read.forEach((key, record) -> {
			if (!this.records.containsKey(key)) {
				changes.add(new Change(null, record));
			}
		});
		this.records.clear();
		this.records.putAll(read);
		this.changedAt.clear();
		this.readRevision = readAt;
		this.revision = readAt;
		publishSnapshot();
		// listeners hear of the read before any event of the watch: both run on this thread
		notifyListeners(changes, readAt);
		// require a leader: a member cut off from the quorum ends the watch instead of falling silent;
		// a created notice after each reconnect tells whether etcd went back in time (restored or wiped)
		WatchOption option = WatchOption.builder()
			.isPrefix(true)
			.withRevision(readAt + 1)
			.withRequireLeader(true)
			.withCreateNotify(true)
			.build();
		this.watcher = this.etcd.getClient()
			.getWatchClient()
			.watch(EtcdKeys.bytes(this.prefix), option, Watch.listener(
					// jetcd may call these holding its own lock: only hand the work over
					(watched) -> onCatalogThread(() -> onWatch(generation, watched)),
					(error) -> onCatalogThread(() -> onWatchError(generation, error)),
					() -> onCatalogThread(() -> restart(generation))));
		return true;
	}

	private void onWatch(long generation, WatchResponse response) {
		if (generation != this.generation) {
			return;
		}
		if (response.isCreatedNotify()) {
			if (response.getHeader().getRevision() < this.revision) {
				logger.warn("etcd is at revision " + response.getHeader().getRevision() + ", before the catalog's "
						+ this.revision + " (restored or replaced): reading the service catalog again");
				restart(generation);
			}
			return;
		}
		List<Change> changes = new ArrayList<>();
		for (WatchEvent event : response.getEvents()) {
			KeyValue kv = event.getKeyValue();
			String key = EtcdKeys.string(kv.getKey());
			long changed = kv.getModRevision();
			// after a reconnect jetcd may replay events the catalog already has: the read, or a later event
			if (changed <= this.changedAt.getOrDefault(key, this.readRevision)) {
				continue;
			}
			this.changedAt.put(key, changed);
			ServiceRecord before = this.records.get(key);
			ServiceRecord after = (event.getEventType() == WatchEvent.EventType.PUT) ? decode(kv) : null;
			if (after != null) {
				this.records.put(key, after);
			}
			else {
				this.records.remove(key);
			}
			if ((before != null || after != null) && (before == null || !before.equals(after))) {
				changes.add(new Change(before, after));
			}
		}
		long at = Math.max(this.revision, response.getHeader().getRevision());
		this.revision = at;
		if (!changes.isEmpty()) {
			publishSnapshot();
			notifyListeners(changes, at);
		}
	}

	private void onWatchError(long generation, Throwable error) {
		if (error instanceof CompactedException || hasCause(error, CompactedException.class)) {
			logger.info("The service catalog's history was compacted; reading it again");
			restart(generation);
		}
		else {
			// jetcd resumes the watch by itself after a transport error
			logger.debug("Service catalog watch interrupted, resuming: " + error);
		}
	}

	private void restart(long generation) {
		if (generation != this.generation || !this.running) {
			return;
		}
		this.generation++;
		closeWatcher();
		readAndWatchOrRetry();
	}

	private void closeWatcher() {
		if (this.watcher != null) {
			this.watcher.close();
			this.watcher = null;
		}
	}

	private void publishSnapshot() {
		Map<String, List<ServiceRecord>> byService = new TreeMap<>();
		for (ServiceRecord record : this.records.values()) {
			byService.computeIfAbsent(record.serviceId(), (id) -> new ArrayList<>()).add(record);
		}
		byService.replaceAll((service, instances) -> instances.stream()
			.sorted(Comparator.comparing(ServiceRecord::instanceId))
			.toList());
		this.snapshot = Collections.unmodifiableMap(byService);
	}

	private ServiceRecord decode(KeyValue kv) {
		String key = EtcdKeys.string(kv.getKey());
		String[] segments = key.substring(this.prefix.length()).split("/", -1);
		try {
			if (segments.length != 2 || segments[0].isEmpty() || segments[1].isEmpty()) {
				throw new IllegalArgumentException("not at {prefix}/{serviceId}/{instanceId}");
			}
			return ServiceRecordCodec.decode(EtcdKeys.string(kv.getValue()), EtcdKeys.name(segments[0]),
					EtcdKeys.name(segments[1]));
		}
		catch (IllegalArgumentException ex) {
			logger.warn("Skipped the service record at " + key + ": " + ex.getMessage());
			this.metrics.skippedRecord();
			return null;
		}
	}

	private void notifyListeners(List<Change> changes, long at) {
		for (DiscoveryListener listener : this.listeners) {
			try {
				for (Change change : changes) {
					if (change.before() == null) {
						listener.added(change.after());
					}
					else if (change.after() == null) {
						listener.removed(change.before());
					}
					else {
						listener.updated(change.before(), change.after());
					}
				}
				listener.catalogChanged(at);
			}
			catch (RuntimeException ex) {
				logger.error("Discovery listener failed", ex);
			}
		}
	}

	private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
		for (Throwable cause = error; cause != null; cause = cause.getCause()) {
			if (type.isInstance(cause)) {
				return true;
			}
		}
		return false;
	}

	private record Change(ServiceRecord before, ServiceRecord after) {
	}

}
