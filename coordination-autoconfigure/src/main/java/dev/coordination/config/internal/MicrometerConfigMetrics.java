package dev.coordination.config.internal;

import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.internal.CoordinationMeterNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * {@link ConfigMetrics} on Micrometer: refreshes by outcome, the time from receiving a change to
 * the {@code Environment} updated, and the revision in the {@code Environment}.
 */
public class MicrometerConfigMetrics implements ConfigMetrics {

	private final MeterRegistry registry;

	private final Timer latency;

	public MicrometerConfigMetrics(MeterRegistry registry) {
		this.registry = registry;
		this.latency = Timer.builder(CoordinationMeterNames.CONFIG_REFRESH_LATENCY)
			.description("Time from receiving a change from etcd to the Environment updated")
			.publishPercentiles(0.5, 0.99)
			.register(registry);
	}

	@Override
	public void state(EtcdConfigState state) {
		Gauge.builder(CoordinationMeterNames.CONFIG_REVISION, state, EtcdConfigState::revision)
			.description("The etcd revision of the configuration in the Environment")
			.register(this.registry);
	}

	@Override
	public void refreshed(String outcome, long nanos) {
		Counter.builder(CoordinationMeterNames.CONFIG_REFRESHES)
			.description("Refreshes of the configuration from etcd")
			.tag("outcome", outcome)
			.register(this.registry)
			.increment();
		if (nanos > 0) {
			this.latency.record(nanos, TimeUnit.NANOSECONDS);
		}
	}

}
