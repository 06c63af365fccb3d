package dev.coordination.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.coordination.election.LeaderLifecycle;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.options.DeleteOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The starter's threads that run application code follow {@code spring.threads.virtual.enabled} as
 * Spring Boot's own executors do: virtual threads with it on Java 21 or later, platform threads
 * without it or before Java 21 (where Boot ignores it). The session's thread is a platform thread
 * whatever the setting. Each thread is observed where it runs application code: a listener, a
 * {@code @LeaderLifecycle} start, a rebound {@code @ConfigurationProperties} bean, a health indicator
 * the registration follows, and the completion of an asynchronous lock hold.
 * <p>
 * Runs on every JDK; CI runs it on Java 17 with the suite and again on JDK 25.
 */
class VirtualThreadExecutorsIntegrationTests {

	private static final boolean VIRTUAL_THREADS_EXIST = Runtime.version().feature() >= 21;

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	@AfterEach
	void closeApplications() throws Exception {
		this.applications.forEach(ConfigurableApplicationContext::close);
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/"), DeleteOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
	}

	@Test
	void withVirtualThreadsEnabledTheThreadsThatRunApplicationCodeAreVirtualFromJava21() throws Exception {
		Map<String, Thread> threads = observeThreads("--spring.threads.virtual.enabled=true");
		assertThat(threads).hasSize(5);
		threads.forEach((name, thread) -> assertThat(isVirtual(thread)).as(name + " is a virtual thread")
			.isEqualTo(VIRTUAL_THREADS_EXIST));
		assertThat(platformThreadNames()).contains("coordination-session");
		if (VIRTUAL_THREADS_EXIST) {
			assertThat(platformThreadNames()).doesNotContain("coordination-events", "coordination-config",
					"coordination-leader-lifecycle", "coordination-registration-health");
		}
	}

	@Test
	void withoutVirtualThreadsEveryThreadIsAPlatformDaemonThread() throws Exception {
		Map<String, Thread> threads = observeThreads();
		assertThat(threads).hasSize(5);
		threads.forEach((name, thread) -> {
			assertThat(isVirtual(thread)).as(name + " is a virtual thread").isFalse();
			assertThat(thread.isDaemon()).as(name + " is a daemon thread").isTrue();
		});
		assertThat(platformThreadNames()).contains("coordination-session", "coordination-events",
				"coordination-config", "coordination-leader-lifecycle", "coordination-registration-health");
	}

	/**
	 * Start an application, make each of the starter's threads run its code, and collect them.
	 * @return each thread by its name, without a counter ({@code coordination-lock-})
	 */
	private Map<String, Thread> observeThreads(String... extra) throws Exception {
		List<String> args = new ArrayList<>(List.of("--spring.main.banner-mode=off",
				"--spring.main.web-application-type=none", "--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"--coordination.etcd.request-timeout=1s", "--coordination.etcd.session.ttl=2s",
				"--coordination.etcd.session.safety-margin=500ms", "--spring.application.name=threads",
				"--spring.config.import=etcd:", "--spring.config.location=optional:classpath:/none/",
				"--coordination.etcd.instance.id=threads-1", "--coordination.etcd.instance.host=127.0.0.1",
				"--coordination.etcd.instance.port=8081", "--coordination.etcd.discovery.health.interval=100ms",
				// the starter rebinds the beans (not Spring Cloud's rebinder)
				"--spring.cloud.refresh.enabled=false",
				"--spring.autoconfigure.exclude="
						+ "org.springframework.cloud.autoconfigure.ConfigurationPropertiesRebinderAutoConfiguration,"
						+ "org.springframework.cloud.autoconfigure.RefreshEndpointAutoConfiguration"));
		args.addAll(List.of(extra));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
			.run(args.toArray(String[]::new));
		this.applications.add(context);
		Observed observed = context.getBean(Observed.class);

		etcd.client().getKVClient().put(EtcdKeys.bytes("/config/threads/greeting/message"), EtcdKeys.bytes("hi"))
			.get(5, TimeUnit.SECONDS);

		DistributedLockRegistry registry = context.getBean(DistributedLockRegistry.class);
		DistributedLock lock = registry.obtain("threads");
		CompletableFuture<Thread> asyncHoldCompletedOn;
		lock.lock();
		try {
			// queued behind this thread's hold: taken and completed on a thread of the registry's
			asyncHoldCompletedOn = registry.acquireAsync("threads", Duration.ofSeconds(5)).thenApply((hold) -> {
				Thread thread = Thread.currentThread();
				hold.release();
				return thread;
			});
		}
		finally {
			lock.unlock();
		}
		observed.threads.put("coordination-lock-", asyncHoldCompletedOn.get(5, TimeUnit.SECONDS));
		GreetingProperties greeting = context.getBean(GreetingProperties.class);
		await().atMost(Duration.ofSeconds(5)).until(() -> "hi".equals(greeting.getMessage()));
		observed.threads.put(greeting.boundBy().getName(), greeting.boundBy());

		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(observed.threads).containsOnlyKeys(
				"coordination-events", "coordination-leader-lifecycle", "coordination-config",
				"coordination-registration-health", "coordination-lock-"));
		return Map.copyOf(observed.threads);
	}

	private static boolean isVirtual(Thread thread) {
		if (!VIRTUAL_THREADS_EXIST) {
			return false;
		}
		// Thread.isVirtual() is Java 21 API; this code compiles for Java 17
		try {
			return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
		}
		catch (ReflectiveOperationException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static List<String> platformThreadNames() {
		// virtual threads are not listed
		return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).toList();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Observed observed() {
			return new Observed();
		}

		@Bean
		@ConfigurationProperties("greeting")
		GreetingProperties greetingProperties() {
			return new GreetingProperties();
		}

		@Bean
		LeadershipListener grantedListener(Observed observed) {
			return new LeadershipListener() {

				@Override
				public void granted(LeadershipGrantedEvent event) {
					observed.ran();
				}

			};
		}

		@Bean
		BoundService boundService(Observed observed) {
			return new BoundService(observed);
		}

		@Bean
		HealthIndicator observedHealth(Observed observed) {
			return () -> {
				if (Thread.currentThread().getName().equals("coordination-registration-health")) {
					observed.ran();
				}
				return Health.up().build();
			};
		}

	}

	/**
	 * The threads that ran application code, by name.
	 */
	static class Observed {

		final Map<String, Thread> threads = new ConcurrentHashMap<>();

		// the starting thread, which binds the properties first, is not one of the starter's
		void ran() {
			Thread thread = Thread.currentThread();
			if (thread.getName().startsWith("coordination-")) {
				this.threads.putIfAbsent(thread.getName(), thread);
			}
		}

	}

	@LeaderLifecycle("threads")
	static class BoundService implements SmartLifecycle {

		private final Observed observed;

		private volatile boolean running;

		BoundService(Observed observed) {
			this.observed = observed;
		}

		@Override
		public boolean isAutoStartup() {
			return false;
		}

		@Override
		public void start() {
			this.observed.ran();
			this.running = true;
		}

		@Override
		public void stop() {
			this.running = false;
		}

		@Override
		public boolean isRunning() {
			return this.running;
		}

	}

	/**
	 * Properties that remember the thread that bound them last (the starter checks a change on a
	 * copy of its own first, so no shared recorder).
	 */
	static class GreetingProperties {

		private String message = "hello";

		private volatile Thread boundBy = Thread.currentThread();

		public String getMessage() {
			return this.message;
		}

		public void setMessage(String message) {
			this.boundBy = Thread.currentThread();
			this.message = message;
		}

		Thread boundBy() {
			return this.boundBy;
		}

	}

}
