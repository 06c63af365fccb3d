package dev.coordination.shard.internal;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.coordination.shard.ShardListener;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;

/**
 * The configured {@link EtcdShardedWorkload}s: started with the application, after the session,
 * and stopped as soon as the context closes, so the shards move to the other instances before the
 * application's other beans stop.
 */
public class EtcdShardedWorkloads
		implements ShardedWorkloads, SmartLifecycle, ApplicationListener<ContextClosedEvent>, ApplicationContextAware {

	/**
	 * Phase: after the session starts, with the elections.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

	private final Map<String, EtcdShardedWorkload> workloads = new LinkedHashMap<>();

	private final List<ShardListener> sharedListeners;

	private volatile boolean running;

	private @Nullable ApplicationContext context;

	/**
	 * Create the registry.
	 * @param workloads the workloads, in configuration order
	 * @param sharedListeners the list the workloads tell after their own listeners (filled by
	 * {@link #addListener})
	 */
	public EtcdShardedWorkloads(List<EtcdShardedWorkload> workloads, CopyOnWriteArrayList<ShardListener> sharedListeners) {
		workloads.forEach((workload) -> this.workloads.put(workload.name(), workload));
		this.sharedListeners = sharedListeners;
	}

	@Override
	public ShardedWorkload workload(String name) {
		return get(name);
	}

	/**
	 * The workload with this name, with the starter's internal operations.
	 * @param name the workload name
	 * @return the workload
	 * @throws IllegalArgumentException when no workload has that name
	 */
	public EtcdShardedWorkload get(String name) {
		EtcdShardedWorkload workload = this.workloads.get(name);
		if (workload == null) {
			throw new IllegalArgumentException("There is no sharded workload '" + name + "': set coordination.shards."
					+ name + ".count to its number of shards"
					+ (this.workloads.isEmpty() ? "" : " (configured workloads: " + String.join(", ", this.workloads.keySet()) + ")"));
		}
		return workload;
	}

	/**
	 * Whether a workload with this name is configured.
	 * @param name the workload name
	 * @return {@code true} when configured
	 */
	public boolean contains(String name) {
		return this.workloads.containsKey(name);
	}

	@Override
	public Collection<ShardedWorkload> workloads() {
		return List.copyOf(this.workloads.values());
	}

	/**
	 * Every workload, with the starter's internal operations.
	 * @return the workloads
	 */
	public Collection<EtcdShardedWorkload> all() {
		return List.copyOf(this.workloads.values());
	}

	@Override
	public void addListener(ShardListener listener) {
		this.sharedListeners.add(listener);
	}

	@Override
	public void removeListener(ShardListener listener) {
		this.sharedListeners.remove(listener);
	}

	@Override
	public synchronized void start() {
		this.running = true;
		this.workloads.values().forEach(EtcdShardedWorkload::start);
	}

	@Override
	public void setApplicationContext(ApplicationContext context) {
		this.context = context;
	}

	@Override
	public void onApplicationEvent(ContextClosedEvent event) {
		if (event.getApplicationContext() == this.context) {
			stop();
		}
	}

	@Override
	public synchronized void stop() {
		this.running = false;
		this.workloads.values().parallelStream().forEach(EtcdShardedWorkload::stop);
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

}
