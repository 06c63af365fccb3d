package dev.coordination.discovery.internal.cloud;

import java.util.function.Consumer;

import dev.coordination.discovery.ServiceRecord;
import dev.coordination.etcd.internal.CoordinationEvents;

import org.springframework.cloud.client.discovery.event.InstanceRegisteredEvent;

/**
 * Publishes Spring Cloud's {@link InstanceRegisteredEvent}, on the event thread, when this
 * instance's record is written to etcd (the first registration, and again after it was lost with a
 * session), with the record as its configuration. Spring Cloud's {@code discoveryComposite} health
 * indicator waits for it before it reports the discovery client UP.
 */
public class RegisteredEventPublisher implements Consumer<ServiceRecord> {

	private final CoordinationEvents events;

	public RegisteredEventPublisher(CoordinationEvents events) {
		this.events = events;
	}

	@Override
	public void accept(ServiceRecord record) {
		this.events.publish(new InstanceRegisteredEvent<>(this, record));
	}

}
