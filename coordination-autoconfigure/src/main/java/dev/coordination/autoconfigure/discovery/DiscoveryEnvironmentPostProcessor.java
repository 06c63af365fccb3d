package dev.coordination.autoconfigure.discovery;

import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Turns Spring Cloud LoadBalancer's instance cache off by default while etcd discovery is on:
 * lookups come from the watch-fed catalog in memory already, and the cache (35 s by default) would
 * keep sending requests to instances that are gone. Added with the lowest precedence, so
 * {@code spring.cloud.loadbalancer.cache.enabled=true} anywhere turns it back on.
 */
public class DiscoveryEnvironmentPostProcessor implements EnvironmentPostProcessor {

	private static final String LOAD_BALANCER = "org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier";

	static final String SOURCE_NAME = "coordinationDiscoveryDefaults";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (!ClassUtils.isPresent(LOAD_BALANCER, application.getClassLoader())
				|| !environment.getProperty("coordination.enabled", Boolean.class, true)
				|| !environment.getProperty("coordination.etcd.discovery.enabled", Boolean.class, true)
				|| environment.getPropertySources().contains(SOURCE_NAME)) {
			return;
		}
		environment.getPropertySources()
			.addLast(new MapPropertySource(SOURCE_NAME, Map.of("spring.cloud.loadbalancer.cache.enabled", "false")));
	}

}
