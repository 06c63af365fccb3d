package dev.coordination.discovery.internal.cloud;

import dev.coordination.discovery.DiscoveryListener;

import org.springframework.cloud.client.discovery.event.HeartbeatEvent;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Publishes a Spring Cloud {@link HeartbeatEvent} on every catalog change, with the etcd revision
 * the catalog reflects as its value; Spring Cloud Gateway's discovery routes refresh on it.
 */
public class HeartbeatPublisher implements DiscoveryListener {

	private final ApplicationEventPublisher publisher;

	public HeartbeatPublisher(ApplicationEventPublisher publisher) {
		this.publisher = publisher;
	}

	@Override
	public void catalogChanged(long revision) {
		this.publisher.publishEvent(new HeartbeatEvent(this, revision));
	}

}
