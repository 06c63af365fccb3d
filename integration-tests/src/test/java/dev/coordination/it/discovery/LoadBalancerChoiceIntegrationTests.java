package dev.coordination.it.discovery;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.internal.cloud.InFlightCalls;
import dev.coordination.discovery.internal.cloud.LeastConnectionsLoadBalancer;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.options.DeleteOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClient;
import org.springframework.cloud.loadbalancer.core.RandomLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.core.env.Environment;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The instance chooser of {@code coordination.etcd.discovery.load-balancer} behind the
 * load-balanced clients, against instances registered in a real etcd, each a real HTTP server that
 * counts the calls it answers.
 */
@ExtendWith(OutputCaptureExtension.class)
class LoadBalancerChoiceIntegrationTests {

	private static final int CALLS = 100;

	private static final int CONCURRENCY = 10;

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	private final List<Backend> backends = new ArrayList<>();

	private final ScheduledExecutorService delays = Executors.newSingleThreadScheduledExecutor();

	@AfterEach
	void stopEverything() throws Exception {
		this.applications.forEach(ConfigurableApplicationContext::close);
		this.backends.forEach((backend) -> backend.server.stop(0));
		this.delays.shutdownNow();
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/services/"), DeleteOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
	}

	@Test
	void leastConnectionsSendsTheSlowInstanceClearlyFewerOfAHundredConcurrentCallsAndEveryCountEndsAtZero()
			throws Exception {
		Map<String, Backend> backends = slowAndTwoFast();
		ConfigurableApplicationContext caller = caller("least-connections", backends.size());
		RestClient client = caller.getBean(RestClient.Builder.class).build();
		callConcurrently(() -> client.get().uri("http://backend/").retrieve().body(String.class));
		int slow = backends.get("slow").calls.get();
		int fast1 = backends.get("fast-1").calls.get();
		int fast2 = backends.get("fast-2").calls.get();
		System.out.printf("least-connections, RestClient: slow %d, fast-1 %d, fast-2 %d%n", slow, fast1, fast2);
		assertThat(slow + fast1 + fast2).isEqualTo(CALLS);
		assertThat(slow).isPositive().isLessThan(Math.min(fast1, fast2) / 2);
		assertAllCountsAreZero(caller, backends.keySet());
	}

	@Test
	void roundRobinSpreadsTheSameCallsEvenlyWhateverTheSlowInstance() throws Exception {
		Map<String, Backend> backends = slowAndTwoFast();
		ConfigurableApplicationContext caller = caller("round-robin", backends.size());
		assertThat(caller.getBeanProvider(InFlightCalls.class).getIfAvailable()).isNull();
		RestClient client = caller.getBean(RestClient.Builder.class).build();
		callConcurrently(() -> client.get().uri("http://backend/").retrieve().body(String.class));
		int slow = backends.get("slow").calls.get();
		System.out.printf("round-robin, RestClient: slow %d, fast-1 %d, fast-2 %d%n", slow,
				backends.get("fast-1").calls.get(), backends.get("fast-2").calls.get());
		for (Backend backend : backends.values()) {
			assertThat(backend.calls.get()).isBetween(CALLS / 3 - 1, CALLS / 3 + 1);
		}
	}

	@Test
	void leastConnectionsWithARestTemplateCountsToo() throws Exception {
		Map<String, Backend> backends = slowAndTwoFast();
		ConfigurableApplicationContext caller = caller("least-connections", backends.size());
		RestTemplate template = caller.getBean(RestTemplate.class);
		callConcurrently(() -> template.getForObject("http://backend/", String.class));
		int slow = backends.get("slow").calls.get();
		int fast1 = backends.get("fast-1").calls.get();
		int fast2 = backends.get("fast-2").calls.get();
		System.out.printf("least-connections, RestTemplate: slow %d, fast-1 %d, fast-2 %d%n", slow, fast1, fast2);
		assertThat(slow).isPositive().isLessThan(Math.min(fast1, fast2) / 2);
		assertAllCountsAreZero(caller, backends.keySet());
	}

	@Test
	void leastConnectionsWithAWebClientCountsToo() throws Exception {
		Map<String, Backend> backends = slowAndTwoFast();
		ConfigurableApplicationContext caller = caller("least-connections", backends.size());
		WebClient client = caller.getBean(WebClient.Builder.class).build();
		List<String> answers = Flux.range(0, CALLS)
			.flatMap((i) -> client.get().uri("http://backend/").retrieve().bodyToMono(String.class), CONCURRENCY)
			.collectList()
			.block(Duration.ofSeconds(60));
		assertThat(answers).hasSize(CALLS);
		int slow = backends.get("slow").calls.get();
		int fast1 = backends.get("fast-1").calls.get();
		int fast2 = backends.get("fast-2").calls.get();
		System.out.printf("least-connections, WebClient: slow %d, fast-1 %d, fast-2 %d%n", slow, fast1, fast2);
		assertThat(slow).isPositive().isLessThan(Math.min(fast1, fast2) / 2);
		assertAllCountsAreZero(caller, backends.keySet());
	}

	@Test
	void aCancelledWebClientCallIsNoLongerCounted() throws Exception {
		backend("slow", Duration.ofSeconds(30), 200);
		ConfigurableApplicationContext caller = caller("least-connections", 1);
		InFlightCalls calls = caller.getBean(InFlightCalls.class);
		WebClient client = caller.getBean(WebClient.Builder.class).build();
		// cancelled by its subscriber, as a timeout() or a client gone would: Spring Cloud reports no completion
		Disposable call = client.get().uri("http://backend/").retrieve().bodyToMono(String.class)
			.subscribe((answer) -> { }, (ex) -> { });
		await().atMost(Duration.ofSeconds(10)).until(() -> calls.inFlight("backend", "slow") == 1);
		call.dispose();
		await().atMost(Duration.ofSeconds(5)).until(() -> calls.inFlight("backend", "slow") == 0);
	}

	@Test
	void callsThatFailWithAnErrorStatusOrARefusedConnectionAreNoLongerCountedEither() throws Exception {
		Map<String, Backend> backends = new LinkedHashMap<>();
		backends.put("failing", backend("failing", Duration.ZERO, 500));
		backends.put("fast", backend("fast", Duration.ZERO, 200));
		int refusing;
		try (ServerSocket socket = new ServerSocket(0)) {
			refusing = socket.getLocalPort();
		}
		register("refusing", refusing);
		ConfigurableApplicationContext caller = caller("least-connections", 3);
		RestClient client = caller.getBean(RestClient.Builder.class).build();
		AtomicInteger errorStatus = new AtomicInteger();
		AtomicInteger refused = new AtomicInteger();
		callConcurrently(() -> {
			try {
				return client.get().uri("http://backend/").retrieve().body(String.class);
			}
			catch (HttpServerErrorException ex) {
				errorStatus.incrementAndGet();
				return "500";
			}
			catch (ResourceAccessException ex) {
				refused.incrementAndGet();
				return "refused";
			}
		});
		assertThat(errorStatus).hasPositiveValue().hasValue(backends.get("failing").calls.get());
		assertThat(refused).hasPositiveValue();
		WebClient webClient = caller.getBean(WebClient.Builder.class).build();
		List<String> outcomes = Flux.range(0, 30)
			.flatMap((i) -> webClient.get().uri("http://backend/").retrieve().bodyToMono(String.class)
				.onErrorResume((ex) -> Mono.just(ex.getClass().getSimpleName())), CONCURRENCY)
			.collectList()
			.block(Duration.ofSeconds(60));
		System.out.println("WebClient outcomes: " + outcomes);
		assertThat(outcomes).contains("InternalServerError").anyMatch((outcome) -> outcome.contains("Request"));
		List<String> instances = new ArrayList<>(backends.keySet());
		instances.add("refusing");
		assertAllCountsAreZero(caller, instances);
	}

	@Test
	void theCountersOfAnInstanceThatLeftTheCatalogAreDropped() throws Exception {
		Map<String, Backend> backends = new LinkedHashMap<>();
		backends.put("fast-1", backend("fast-1", Duration.ZERO, 200));
		backends.put("fast-2", backend("fast-2", Duration.ZERO, 200));
		ConfigurableApplicationContext caller = caller("least-connections", 2);
		RestClient client = caller.getBean(RestClient.Builder.class).build();
		callConcurrently(() -> client.get().uri("http://backend/").retrieve().body(String.class));
		InFlightCalls calls = caller.getBean(InFlightCalls.class);
		assertThat(calls.counters()).isEqualTo(2);
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/services/backend/fast-2")).get(5, TimeUnit.SECONDS);
		await().atMost(Duration.ofSeconds(5)).until(() -> calls.counters() == 1);
	}

	@Test
	void aServicesOwnLoadBalancerClientConfigurationStillWins() throws Exception {
		slowAndTwoFast();
		ConfigurableApplicationContext caller = caller("least-connections", 3, OwnChoiceApplication.class);
		LoadBalancerClientFactory clients = caller.getBean(LoadBalancerClientFactory.class);
		assertThat(clients.getInstance("backend")).isInstanceOf(RandomLoadBalancer.class);
		assertThat(clients.getInstance("other")).isInstanceOf(LeastConnectionsLoadBalancer.class);
	}

	@Test
	void anUnknownChoiceFailsStartUpNamingThePropertyAndTheValidValues(CapturedOutput output) {
		assertThatExceptionOfType(Exception.class).isThrownBy(() -> caller("fewest-calls", 0));
		assertThat(output.getOut()).contains("coordination.etcd.discovery.load-balancer")
			.contains("fewest-calls")
			.contains("ROUND_ROBIN")
			.contains("RANDOM")
			.contains("LEAST_CONNECTIONS");
	}

	private void assertAllCountsAreZero(ConfigurableApplicationContext caller, Iterable<String> instances) {
		InFlightCalls calls = caller.getBean(InFlightCalls.class);
		for (String instance : instances) {
			assertThat(calls.inFlight("backend", instance)).as(instance).isZero();
		}
	}

	private Map<String, Backend> slowAndTwoFast() throws Exception {
		Map<String, Backend> backends = new LinkedHashMap<>();
		backends.put("slow", backend("slow", Duration.ofMillis(300), 200));
		backends.put("fast-1", backend("fast-1", Duration.ZERO, 200));
		backends.put("fast-2", backend("fast-2", Duration.ZERO, 200));
		return backends;
	}

	private void callConcurrently(java.util.concurrent.Callable<String> call) throws Exception {
		ExecutorService threads = Executors.newFixedThreadPool(CONCURRENCY);
		try {
			List<Future<String>> answers = new ArrayList<>();
			for (int i = 0; i < CALLS; i++) {
				answers.add(threads.submit(call));
			}
			for (Future<String> answer : answers) {
				assertThat(answer.get(60, TimeUnit.SECONDS)).isNotNull();
			}
		}
		finally {
			threads.shutdownNow();
		}
	}

	private Backend backend(String instanceId, Duration delay, int status) throws Exception {
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		Backend backend = new Backend(server, new AtomicInteger());
		server.createContext("/", (exchange) -> {
			backend.calls.incrementAndGet();
			if (delay.isZero()) {
				answer(exchange, status, instanceId);
			}
			else {
				this.delays.schedule(() -> answer(exchange, status, instanceId), delay.toMillis(), TimeUnit.MILLISECONDS);
			}
		});
		server.setExecutor(Executors.newCachedThreadPool());
		server.start();
		this.backends.add(backend);
		register(instanceId, server.getAddress().getPort());
		return backend;
	}

	private static void answer(HttpExchange exchange, int status, String body) {
		try (exchange) {
			byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
			exchange.sendResponseHeaders(status, bytes.length);
			exchange.getResponseBody().write(bytes);
		}
		catch (IOException ex) {
			// the client went away (a cancelled call)
		}
	}

	private void register(String instanceId, int port) throws Exception {
		String record = "{\"instanceId\":\"" + instanceId + "\",\"serviceId\":\"backend\",\"host\":\"127.0.0.1\",\"port\":"
				+ port + "}";
		etcd.client().getKVClient().put(EtcdKeys.bytes("/services/backend/" + instanceId), EtcdKeys.bytes(record))
			.get(5, TimeUnit.SECONDS);
	}

	private ConfigurableApplicationContext caller(String loadBalancer, int instances) {
		return caller(loadBalancer, instances, CallerApplication.class);
	}

	private ConfigurableApplicationContext caller(String loadBalancer, int instances, Class<?> application) {
		ConfigurableApplicationContext context = new SpringApplicationBuilder(application).run(
				"--spring.main.banner-mode=off", "--spring.main.web-application-type=none",
				"--spring.application.name=caller", "--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"--coordination.etcd.discovery.register=false",
				"--coordination.etcd.discovery.load-balancer=" + loadBalancer);
		this.applications.add(context);
		await().atMost(Duration.ofSeconds(5))
			.until(() -> context.getBean(ServiceDiscovery.class).instances("backend").size() == instances);
		return context;
	}

	private record Backend(HttpServer server, AtomicInteger calls) {
	}

	/**
	 * The calling application: the three load-balanced clients, nothing else.
	 */
	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class CallerApplication {

		@Bean
		@LoadBalanced
		RestClient.Builder loadBalancedRestClientBuilder() {
			return RestClient.builder();
		}

		@Bean
		@LoadBalanced
		RestTemplate loadBalancedRestTemplate() {
			return new RestTemplate();
		}

		@Bean
		@LoadBalanced
		WebClient.Builder loadBalancedWebClientBuilder() {
			return WebClient.builder().clientConnector(new JdkClientHttpConnector());
		}

	}

	/**
	 * A caller that picks the instances of one service itself.
	 */
	@SpringBootConfiguration
	@EnableAutoConfiguration
	@LoadBalancerClient(name = "backend", configuration = RandomChoice.class)
	static class OwnChoiceApplication {

	}

	static class RandomChoice {

		@Bean
		ReactorLoadBalancer<ServiceInstance> randomLoadBalancer(Environment environment,
				LoadBalancerClientFactory clients) {
			String name = environment.getRequiredProperty(LoadBalancerClientFactory.PROPERTY_NAME);
			return new RandomLoadBalancer(clients.getLazyProvider(name, ServiceInstanceListSupplier.class), name);
		}

	}

}
