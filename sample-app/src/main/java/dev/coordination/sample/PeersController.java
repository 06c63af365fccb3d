package dev.coordination.sample;

import java.util.stream.Collectors;

import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /peers}: the instances of this service, from the discovery catalog (no etcd call).
 */
@RestController
class PeersController {

	private final ServiceDiscovery discovery;

	private final String serviceId;

	PeersController(ServiceDiscovery discovery, @Value("${spring.application.name}") String serviceId) {
		this.discovery = discovery;
		this.serviceId = serviceId;
	}

	@GetMapping(path = "/peers", produces = "text/plain")
	String peers() {
		return this.discovery.allInstances(this.serviceId)
			.stream()
			.map(PeersController::line)
			.collect(Collectors.joining("\n", "", "\n"));
	}

	private static String line(ServiceRecord instance) {
		return instance.instanceId() + " " + instance.uri() + " " + instance.status();
	}

}
