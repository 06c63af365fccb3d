package dev.coordination.sample;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.restclient.autoconfigure.RestClientBuilderConfigurer;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import org.springframework.web.server.ResponseStatusException;

/**
 * {@code GET /peer}: calls {@code GET /} of an instance of this service by its service id, through a
 * {@code @LoadBalanced RestClient} fed by etcd discovery (round robin over the instances that are
 * UP, this one included).
 */
@RestController
class PeerController {

	private final RestClient rest;

	private final String serviceId;

	PeerController(@LoadBalanced RestClient.Builder builder, @Value("${spring.application.name}") String serviceId) {
		this.rest = builder.build();
		this.serviceId = serviceId;
	}

	@GetMapping(path = "/peer", produces = "text/plain")
	String peer() {
		String answer;
		try {
			answer = this.rest.get().uri("http://" + this.serviceId + "/").retrieve().body(String.class);
		}
		catch (IllegalStateException ex) {
			// LoadBalancer knows no instance that is UP (it logs "No servers available" once per call)
			throw new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE,
					"No instance of " + this.serviceId + " is UP in etcd discovery: " + ex.getMessage());
		}
		return "Asked " + this.serviceId + " through the load balancer; it answered: " + answer;
	}

	@Configuration(proxyBeanMethods = false)
	static class LoadBalancing {

		// a builder of its own, configured like Boot's (converters, request factory, observations), so
		// that Boot's RestClient.Builder stays the plain one for every other use
		@Bean
		@LoadBalanced
		RestClient.Builder loadBalancedRestClientBuilder(RestClientBuilderConfigurer configurer) {
			return configurer.configure(RestClient.builder());
		}

	}

}
