package dev.coordination.discovery.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceAddedEvent;
import dev.coordination.discovery.InstanceRemovedEvent;
import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.InstanceUpdatedEvent;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.PrefixMirror;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import io.etcd.jetcd.KeyValue;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;
import org.springframework.util.Assert;

/**
 * {@link ServiceDiscovery} fed by ONE prefix watch, a {@link PrefixMirror}: the catalog is read at
 * one revision, then watched from the next. jetcd resumes the watch after a reconnect from the last
 * revision it saw; events it replays are dropped by their revision. When the history was compacted,
 * the catalog is read again at a new revision and watched from there. Records that are not valid
 * registrations are skipped with a WARN, never breaking the catalog. Listeners are told on the event
 * thread, in order.
 * <p>
 * Lookups cost the same whatever the size of the fleet: each service has an immutable snapshot (all
 * its instances and the UP ones, each list ordered by instance id),
 * and the snapshots of all services are published together through one volatile field. A change
 * rebuilds the snapshot of the service it belongs to only; the other services keep theirs, the very
 * same lists, so a caller may cache what it derives from a list for as long as it gets that list.
 */
public class EtcdServiceCatalog implements ServiceDiscovery, SmartLifecycle, PrefixMirror.Handler {

	/**
	 * Lifecycle phase: started before the registration and the web server, so lookups answer when
	 * the application is ready.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

	private static final Log logger = LogFactory.getLog(EtcdServiceCatalog.class);

	private final EtcdTemplate etcd;

	private final String prefix;

	private final DiscoveryMetrics metrics;

	private final List<DiscoveryListener> listeners = new CopyOnWriteArrayList<>();

	private final List<LongConsumer> revisionListeners = new CopyOnWriteArrayList<>();

	private final CoordinationEvents events;

	private final RetryPolicy retry;

	private final WatchProgress progress;

	// a new catalog per change, sharing the snapshots of unchanged services: lookups read it without locking
	private volatile Catalog catalog = new Catalog(Map.of(), Collections.emptySortedSet());

	// on the mirror's thread only: the records by key, and each service's in the order lookups return them
	private final Map<String, ServiceRecord> records = new HashMap<>();

	private final Map<String, SortedMap<Slot, ServiceRecord>> recordsByService = new HashMap<>();

	private final CountDownLatch read = new CountDownLatch(1);

	private volatile @Nullable PrefixMirror mirror;

	/**
	 * Create a catalog.
	 * @param etcd the etcd access
	 * @param prefix the normalised prefix of all registrations, for example {@code /services}
	 * @param metrics where to report skipped records
	 * @param events the thread listeners are told on
	 * @param retry how to wait before reading again after a failed read
	 * @param progress whether and how often its watch asks etcd how far it is
	 */
	public EtcdServiceCatalog(EtcdTemplate etcd, String prefix, DiscoveryMetrics metrics, CoordinationEvents events,
			RetryPolicy retry, WatchProgress progress) {
		this.retry = retry;
		this.progress = progress;
		this.etcd = etcd;
		this.events = events;
		this.prefix = prefix + "/";
		this.metrics = metrics;
		metrics.catalog(this);
	}

	@Override
	public List<ServiceRecord> instances(String serviceId) {
		return instancesOf(serviceId).up();
	}

	@Override
	public List<ServiceRecord> allInstances(String serviceId) {
		return instancesOf(serviceId).all();
	}

	@Override
	public Set<String> services() {
		return this.catalog.serviceIds();
	}

	private Instances instancesOf(String serviceId) {
		return this.catalog.services().getOrDefault(serviceId, Instances.NONE);
	}

	@Override
	public long revision() {
		PrefixMirror mirror = this.mirror;
		return (mirror != null) ? mirror.revision() : 0;
	}

	@Override
	public void addListener(DiscoveryListener listener) {
		this.listeners.add(listener);
	}

	@Override
	public void removeListener(DiscoveryListener listener) {
		this.listeners.remove(listener);
	}

	/**
	 * Run {@code listener} with the catalog's revision after each batch of changes, on the catalog's
	 * thread: it only hands the revision over.
	 * @param listener the listener
	 */
	public void addRevisionListener(LongConsumer listener) {
		this.revisionListeners.add(listener);
	}

	@Override
	public void start() {
		PrefixMirror mirror = new PrefixMirror(this.etcd, "discovery", List.of(this.prefix), (key) -> true,
				Duration.ZERO, this.retry, this.progress, this);
		this.mirror = mirror;
		mirror.start(0, List.of());
		// the first read while starting, so the catalog is there when the application is ready;
		// without etcd the application still starts, and the catalog follows once etcd answers
		try {
			if (!this.read.await(this.etcd.getRequestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
				// the mirror has warned why it could not read (one line); this says what it means
				logger.info("Starting without the service catalog (" + this.prefix + " not read within "
						+ (this.etcd.getRequestTimeout().toMillis() + 1000)
						+ " ms): discovery finds no instances until etcd answers");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void stop() {
		PrefixMirror mirror = this.mirror;
		this.mirror = null;
		if (mirror != null) {
			mirror.stop();
		}
	}

	@Override
	public boolean isRunning() {
		return this.mirror != null;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	/**
	 * Records changed, on the mirror's thread (only there: the catalog's update path): listeners hear
	 * of them in order.
	 */
	@Override
	public void changed(Map<String, KeyValue> kvs, Set<String> changed, long revision, long receivedAt) {
		List<Change> changes = new ArrayList<>();
		Set<String> changedServices = new HashSet<>();
		for (String key : changed) {
			ServiceRecord before = this.records.get(key);
			KeyValue kv = kvs.get(key);
			ServiceRecord after = (kv != null) ? decode(kv) : null;
			if (after != null) {
				this.records.put(key, after);
			}
			else {
				this.records.remove(key);
			}
			if ((before != null || after != null) && (before == null || !before.equals(after))) {
				changes.add(new Change(before, after));
				if (before != null) {
					removeFromService(key, before);
					changedServices.add(before.serviceId());
				}
				if (after != null) {
					this.recordsByService.computeIfAbsent(after.serviceId(), (service) -> new TreeMap<>())
						.put(new Slot(after.instanceId(), key), after);
					changedServices.add(after.serviceId());
				}
			}
		}
		if (!changes.isEmpty()) {
			publish(changedServices);
			notifyListeners(changes, revision);
		}
		this.read.countDown();
	}

	private void removeFromService(String key, ServiceRecord record) {
		SortedMap<Slot, ServiceRecord> records = this.recordsByService.get(record.serviceId());
		if (records != null) {
			records.remove(new Slot(record.instanceId(), key));
			if (records.isEmpty()) {
				this.recordsByService.remove(record.serviceId());
			}
		}
	}

	/**
	 * Publish a new catalog: new snapshots of the changed services, the others' as they were.
	 */
	private void publish(Set<String> changedServices) {
		Catalog current = this.catalog;
		Map<String, Instances> services = new HashMap<>(current.services());
		boolean serviceIdsChanged = false;
		for (String serviceId : changedServices) {
			SortedMap<Slot, ServiceRecord> records = this.recordsByService.get(serviceId);
			Instances previous = (records != null) ? services.put(serviceId, Instances.of(records.values()))
					: services.remove(serviceId);
			serviceIdsChanged |= (previous == null) != (records == null);
		}
		SortedSet<String> serviceIds = serviceIdsChanged
				? Collections.unmodifiableSortedSet(new TreeSet<>(services.keySet())) : current.serviceIds();
		this.catalog = new Catalog(Collections.unmodifiableMap(services), serviceIds);
	}

	private @Nullable ServiceRecord decode(KeyValue kv) {
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
		for (Change change : changes) {
			ServiceRecord before = change.before();
			ServiceRecord after = change.after();
			if (before == null) {
				Assert.state(after != null, "A change of the catalog has a record before or after it");
				this.events.publish(new InstanceAddedEvent(this, after, at), this.listeners, DiscoveryListener::added);
			}
			else if (after == null) {
				this.events.publish(new InstanceRemovedEvent(this, before, at), this.listeners,
						DiscoveryListener::removed);
			}
			else {
				this.events.publish(new InstanceUpdatedEvent(this, before, after, at), this.listeners,
						DiscoveryListener::updated);
			}
		}
		this.revisionListeners.forEach((listener) -> listener.accept(at));
	}

	private record Change(@Nullable ServiceRecord before, @Nullable ServiceRecord after) {
	}

	/**
	 * Where a record is in its service's order: by instance id, then by key (two keys can name one
	 * instance id when one of them escapes a character the other does not).
	 */
	private record Slot(String instanceId, String key) implements Comparable<Slot> {

		@Override
		public int compareTo(Slot other) {
			int byInstanceId = this.instanceId.compareTo(other.instanceId);
			return (byInstanceId != 0) ? byInstanceId : this.key.compareTo(other.key);
		}

	}

	/**
	 * What lookups read: the snapshot of every service, and the sorted service ids.
	 */
	private record Catalog(Map<String, Instances> services, SortedSet<String> serviceIds) {
	}

	/**
	 * The instances of one service at one moment, immutable.
	 *
	 * @param all every instance, ordered by instance id
	 * @param up the {@link InstanceStatus#UP UP} ones, ordered by instance id; {@code all} itself
	 * when every instance is UP
	 */
	private record Instances(List<ServiceRecord> all, List<ServiceRecord> up) {

		static final Instances NONE = new Instances(List.of(), List.of());

		static Instances of(Collection<ServiceRecord> ordered) {
			List<ServiceRecord> all = List.copyOf(ordered);
			List<ServiceRecord> up = all.stream().filter((record) -> record.status() == InstanceStatus.UP).toList();
			return new Instances(all, (up.size() == all.size()) ? all : up);
		}

	}

}
