package dev.coordination.it.discovery;

import java.util.concurrent.atomic.AtomicReference;

import dev.coordination.discovery.internal.EtcdServiceRegistration;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

/**
 * An application of the discovery tests: auto-configured, with a health indicator the test can
 * turn DOWN, an endpoint that names the instance, and a load-balanced {@link RestClient}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class DiscoveryTestApplication {

	@Bean
	Switch switchHealthIndicator() {
		return new Switch();
	}

	@Bean
	@LoadBalanced
	RestClient.Builder loadBalancedRestClientBuilder() {
		return RestClient.builder();
	}

	/**
	 * A health indicator the test turns DOWN and UP.
	 */
	static class Switch implements HealthIndicator {

		final AtomicReference<Health> health = new AtomicReference<>(Health.up().build());

		@Override
		public Health health() {
			return this.health.get();
		}

	}

	@RestController
	static class Hello {

		private final EtcdServiceRegistration registration;

		Hello(EtcdServiceRegistration registration) {
			this.registration = registration;
		}

		@GetMapping("/hello")
		String hello() {
			return "hello from " + this.registration.registration().orElseThrow().instanceId();
		}

	}

}
