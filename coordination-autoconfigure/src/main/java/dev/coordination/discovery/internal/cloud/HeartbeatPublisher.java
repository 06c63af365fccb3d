package dev.coordination.discovery.internal.cloud;

import java.util.function.LongConsumer;

import dev.coordination.etcd.internal.CoordinationEvents;

import org.springframework.cloud.client.discovery.event.HeartbeatEvent;

/**
 * Publishes a Spring Cloud {@link HeartbeatEvent} on every catalog change, on the event thread,
 * with the etcd revision the catalog reflects as its value; Spring Cloud Gateway's discovery routes
 * refresh on it.
 */
public class HeartbeatPublisher implements LongConsumer {

	private final CoordinationEvents events;

	public HeartbeatPublisher(CoordinationEvents events) {
		this.events = events;
	}

	@Override
	public void accept(long revision) {
		this.events.publish(new HeartbeatEvent(this, revision));
	}

}
