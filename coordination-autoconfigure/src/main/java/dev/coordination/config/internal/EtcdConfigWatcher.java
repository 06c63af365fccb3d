package dev.coordination.config.internal;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.coordination.config.ConfigListener;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.PrefixMirror;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;

/**
 * Keeps the configuration imported with {@code spring.config.import=etcd:} current while the
 * application runs.
 * <p>
 * One watch per imported prefix, from the revision read at start-up + 1 (or, when an
 * {@code optional:etcd:} import started without etcd, from the first read that works; after a stop,
 * from a new read). The first change after a quiet {@code coordination.etcd.config.watch.delay}
 * is applied at once; changes within that delay of the last refresh are applied together when it
 * has passed. One batch at a time on the configuration's thread: checked, then applied, see
 * {@link ConfigRefresher}. While the watch is cut off from etcd the last values stay and the state
 * is stale. Listeners added before {@link #start()} hear every change.
 */
public class EtcdConfigWatcher implements SmartLifecycle {

	/**
	 * Lifecycle phase: started early, so a change during start-up is not missed, and stopped late.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

	private final EtcdTemplate etcd;

	private final RetryPolicy retry;

	private final WatchProgress progress;

	private final EtcdConfigState state;

	private final Duration delay;

	private final ConfigRefresher refresher;

	private final boolean virtualThread;

	private final List<ConfigListener> listeners = new CopyOnWriteArrayList<>();

	private volatile @Nullable PrefixMirror mirror;

	private volatile boolean restarted;

	/**
	 * Create a watcher.
	 * @param etcd the etcd access of the application
	 * @param state the imported configuration
	 * @param delay the shortest time between two refreshes, see {@link PrefixMirror}
	 * @param context the application, whose {@code Environment} and beans are refreshed
	 * @param metrics where to report refreshes
	 * @param events the thread listeners are told on
	 * @param retry how to wait before reading again after a failed read
	 * @param progress whether and how often its watch asks etcd how far it is
	 * @param virtualThread whether the configuration's thread, which rebinds the application's beans,
	 * is a virtual thread
	 */
	public EtcdConfigWatcher(EtcdTemplate etcd, EtcdConfigState state, Duration delay,
			ConfigurableApplicationContext context, ConfigMetrics metrics, CoordinationEvents events, RetryPolicy retry,
			WatchProgress progress, boolean virtualThread) {
		this.virtualThread = virtualThread;
		this.etcd = etcd;
		this.retry = retry;
		this.progress = progress;
		this.state = state;
		this.delay = delay;
		this.refresher = new ConfigRefresher(state, context, metrics, this, events, this.listeners);
		metrics.state(state);
	}

	/**
	 * Register a listener of changes.
	 * @param listener the listener
	 */
	public void addListener(ConfigListener listener) {
		this.listeners.add(listener);
	}

	/**
	 * The imported configuration.
	 * @return its state
	 */
	public EtcdConfigState getState() {
		return this.state;
	}

	@Override
	public void start() {
		List<EtcdConfigDataResource> contexts = this.state.resources();
		Set<String> roots = new LinkedHashSet<>();
		contexts.forEach((context) -> roots.add(context.getRoot()));
		List<String> paths = contexts.stream().map(EtcdConfigDataResource::getPath).toList();
		PrefixMirror mirror = new PrefixMirror(this.etcd, "config", List.copyOf(roots),
				(key) -> paths.stream().anyMatch(key::startsWith), this.delay, this.retry, this.progress, this.refresher,
				this.virtualThread);
		this.mirror = mirror;
		if (this.state.isLoaded() && !this.restarted) {
			mirror.start(this.state.revision(), this.state.readAtStartUp());
		}
		else {
			// etcd not read yet, or started again after a stop: read everything first
			mirror.start(0, List.of());
		}
		this.restarted = true;
		this.state.watched(true);
	}

	@Override
	public void stop() {
		PrefixMirror mirror = this.mirror;
		this.mirror = null;
		this.state.watched(false);
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

}
