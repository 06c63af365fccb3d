package dev.coordination.shard.internal;

import java.time.Duration;
import java.util.Locale;

import dev.coordination.etcd.internal.CoordinationMeterNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * {@link ShardMetrics} on Micrometer: per workload a gauge of the shards this instance owns,
 * rebalances, how long each shard it took had been without an owner, and the shards it gave up or
 * lost by reason, all tagged with the workload name. Meter names are in
 * {@link CoordinationMeterNames}. Called on the workload's thread (a session loss: the session's);
 * only records.
 */
public class MicrometerShardMetrics implements ShardMetrics {

	private final MeterRegistry registry;

	public MicrometerShardMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	@Override
	public void register(EtcdShardedWorkload workload) {
		Gauge.builder(CoordinationMeterNames.SHARD_OWNED, workload, (w) -> w.ownedShards().size())
			.description("Shards of the workload this instance owns")
			.tag("workload", workload.name())
			.register(this.registry);
	}

	@Override
	public void taken(String workload, Duration unowned) {
		Timer.builder(CoordinationMeterNames.SHARD_UNOWNED)
			.description("How long a shard had no owner before this instance took it")
			.tag("workload", workload)
			.register(this.registry)
			.record(unowned);
	}

	@Override
	public void rebalanced(String workload) {
		Counter.builder(CoordinationMeterNames.SHARD_REBALANCES)
			.description("New memberships of the workload this instance applied")
			.tag("workload", workload)
			.register(this.registry)
			.increment();
	}

	@Override
	public void revoked(String workload, int shards, String reason) {
		Counter.builder(CoordinationMeterNames.SHARD_REVOCATIONS)
			.description("Shards this instance gave up or lost")
			.tag("workload", workload)
			.tag("reason", reason.toLowerCase(Locale.ROOT))
			.register(this.registry)
			.increment(shards);
	}

}
