package dev.coordination.discovery.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.coordination.etcd.internal.CoordinationMeterNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@link DiscoveryMetrics} on Micrometer: a gauge of UP instances per service seen, counters of
 * registration writes by outcome and of skipped records.
 */
public class MicrometerDiscoveryMetrics implements DiscoveryMetrics {

	private final MeterRegistry registry;

	private final Set<String> gauged = ConcurrentHashMap.newKeySet();

	private final Counter skipped;

	public MicrometerDiscoveryMetrics(MeterRegistry registry) {
		this.registry = registry;
		this.skipped = Counter.builder(CoordinationMeterNames.DISCOVERY_SKIPPED_RECORDS)
			.description("Service records skipped because they are not valid registrations")
			.register(registry);
	}

	@Override
	public void catalog(EtcdServiceCatalog catalog) {
		catalog.addRevisionListener((revision) -> {
			for (String service : catalog.services()) {
				if (this.gauged.add(service)) {
					Gauge.builder(CoordinationMeterNames.DISCOVERY_INSTANCES, catalog,
							(discovery) -> discovery.instances(service).size())
						.description("Instances of the service that are UP, as this instance sees them")
						.tag("service", service)
						.register(this.registry);
				}
			}
		});
	}

	@Override
	public void registration(String outcome) {
		Counter.builder(CoordinationMeterNames.DISCOVERY_REGISTRATIONS)
			.description("Writes of this instance's registration")
			.tag("outcome", outcome)
			.register(this.registry)
			.increment();
	}

	@Override
	public void skippedRecord() {
		this.skipped.increment();
	}

}
