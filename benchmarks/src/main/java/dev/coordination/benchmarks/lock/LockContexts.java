package dev.coordination.benchmarks.lock;

import java.util.HashMap;
import java.util.Map;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.lock.DistributedLocked;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Spring context of the lock benchmarks: the starter's etcd, session and lock
 * auto-configurations, and Boot's AOP auto-configuration, against the etcd in
 * {@value #ENDPOINTS_PROPERTY}.
 */
final class LockContexts {

	/**
	 * The endpoints {@code BenchmarkMain} hands to the forked JVM.
	 */
	static final String ENDPOINTS_PROPERTY = "coordination.benchmark.endpoints";

	private LockContexts() {
	}

	static ConfigurableApplicationContext start(Map<String, Object> properties) {
		String endpoints = System.getProperty(ENDPOINTS_PROPERTY);
		if (endpoints == null || endpoints.isBlank()) {
			throw new IllegalStateException("No etcd endpoints: run through BenchmarkMain or pass -D" + ENDPOINTS_PROPERTY);
		}
		return start(endpoints, properties);
	}

	static ConfigurableApplicationContext start(String endpoints, Map<String, Object> properties) {
		SpringApplication application = new SpringApplication(LockConfiguration.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		Map<String, Object> defaults = new HashMap<>(properties);
		defaults.put("coordination.etcd.endpoints", endpoints);
		application.setDefaultProperties(defaults);
		return application.run();
	}

	/**
	 * A bean with a trivial {@link DistributedLocked @DistributedLocked} method.
	 */
	public static class LockedTask {

		private final String result = "done";

		@DistributedLocked(key = "'benchmark-annotated'", waitTime = "5s")
		public String work() {
			return this.result;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ AopAutoConfiguration.class, EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			LockAutoConfiguration.class })
	static class LockConfiguration {

		@Bean
		LockedTask lockedTask() {
			return new LockedTask();
		}

	}

}
