package dev.coordination.discovery.internal.cloud;

import java.util.function.Consumer;

import dev.coordination.discovery.ServiceRecord;
import dev.coordination.etcd.internal.CoordinationEvents;

import org.springframework.cloud.client.discovery.event.InstanceRegisteredEvent;

/**
 * Publishes Spring Cloud's {@link InstanceRegisteredEvent}, on the event thread, once this instance
 * registers, as Spring Cloud's own auto-registrations do: its {@code discoveryComposite} health
 * indicator reports UP only after it.
 */
public class InstanceRegisteredPublisher implements Consumer<ServiceRecord> {

	private final CoordinationEvents events;

	public InstanceRegisteredPublisher(CoordinationEvents events) {
		this.events = events;
	}

	@Override
	public void accept(ServiceRecord record) {
		this.events.publish(new InstanceRegisteredEvent<>(this, new EtcdServiceInstance(record)));
	}

}
