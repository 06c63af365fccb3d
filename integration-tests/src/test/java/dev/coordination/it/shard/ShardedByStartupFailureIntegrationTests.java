package dev.coordination.it.shard;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import dev.coordination.shard.ShardedBy;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A {@code @ShardedBy} method that cannot run per shard fails start-up, and the failure analysis
 * says which method, what is wrong and what would be valid.
 */
@ExtendWith(OutputCaptureExtension.class)
class ShardedByStartupFailureIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final List<ConfigurableApplicationContext> applications = new ArrayList<>();

	@AfterEach
	void close() {
		this.applications.forEach(ConfigurableApplicationContext::close);
	}

	static Stream<Arguments> badMethods() {
		return Stream.of(
				Arguments.of(UnknownWorkload.class, "run()",
						"names workload 'order', but no coordination.shards.order.count configures it"
								+ " (configured workloads: orders, invoices)",
						"Set coordination.shards.order.count to the number of shards of 'order', or name one of"
								+ " orders, invoices in @ShardedBy."),
				Arguments.of(TwoParameters.class, "run(int, int)", "has 2 parameters",
						"a method whose one parameter is the shard number (int, long, Integer or Long)"),
				Arguments.of(StringParameter.class, "run(String)",
						"has a parameter of type java.lang.String, which is not a shard number",
						"Declare the shard number as its only parameter (int, long, Integer or Long)"),
				Arguments.of(ResultWithoutParameter.class, "run()",
						"returns java.lang.String but has no parameter: it runs once per owned shard",
						"Return void, or take the shard number as the only parameter"),
				Arguments.of(PrimitiveResult.class, "run(int)",
						"returns int, which cannot express a call skipped because this instance does not own the shard",
						"Return void, an object (null when skipped) or an Optional (empty when skipped)."),
				Arguments.of(StageResult.class, "run(int)", "returns java.util.concurrent.CompletableFuture, a"
						+ " CompletionStage, which @ShardedBy does not support: a shard is held only while the method"
						+ " runs", "Do the work before returning (block on it inside the method)"),
				Arguments.of(MonoResult.class, "run(long)",
						"returns reactor.core.publisher.Mono, a reactive type (such as Mono or Flux), which @ShardedBy"
								+ " does not support",
						"Do the work before returning"),
				Arguments.of(FutureResult.class, "run(Integer)", "returns java.util.concurrent.Future, work that goes"
						+ " on after the method returned, which @ShardedBy does not support", "Do the work before"),
				Arguments.of(StaticMethod.class, "run()", "is static. Spring AOP cannot intercept such a method",
						"every call would run on every instance, whatever shards it owns"),
				Arguments.of(PrivateMethod.class, "run()", "is private", "a public (or protected) method"),
				Arguments.of(FinalMethod.class, "run()", "is final", "neither static nor final"));
	}

	@ParameterizedTest
	@MethodSource("badMethods")
	void badMethodFailsStartUpWithAnExplanation(Class<?> bean, String method, String problem, String action,
			CapturedOutput output) {
		assertThatExceptionOfType(RuntimeException.class).isThrownBy(() -> start(bean));
		assertThat(output.getOut()).contains("APPLICATION FAILED TO START")
			.contains("@ShardedBy method " + bean.getName() + "." + method)
			.contains("of bean '")
			.contains(problem)
			.contains(action);
		assertThat(output.getAll()).doesNotContain("Application run failed");
	}

	private void start(Class<?> bean) {
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class, bean)
			.run("--spring.main.web-application-type=none", "--coordination.etcd.discovery.enabled=false",
					"--coordination.etcd.request-timeout=2s", "--coordination.etcd.endpoints=" + etcd.endpointsAsString(),
					"--coordination.etcd.sharding.prefix=/sharded-by-startup", "--coordination.shards.orders.count=4",
					"--coordination.shards.invoices.count=2");
		this.applications.add(context);
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Application {

	}

	static class UnknownWorkload {

		@ShardedBy("order")
		public void run() {
		}

	}

	static class TwoParameters {

		@ShardedBy("orders")
		public void run(int shard, int other) {
		}

	}

	static class StringParameter {

		@ShardedBy("orders")
		public void run(String shard) {
		}

	}

	static class ResultWithoutParameter {

		@ShardedBy("orders")
		public String run() {
			return "done";
		}

	}

	static class PrimitiveResult {

		@ShardedBy("orders")
		public int run(int shard) {
			return shard;
		}

	}

	static class StageResult {

		@ShardedBy("orders")
		public CompletableFuture<Void> run(int shard) {
			return CompletableFuture.completedFuture(null);
		}

	}

	static class MonoResult {

		@ShardedBy("orders")
		public Mono<Void> run(long shard) {
			return Mono.empty();
		}

	}

	static class FutureResult {

		@ShardedBy("orders")
		public Future<Void> run(Integer shard) {
			return CompletableFuture.completedFuture(null);
		}

	}

	static class StaticMethod {

		@ShardedBy("orders")
		public static void run() {
		}

	}

	static class PrivateMethod {

		@ShardedBy("orders")
		private void run() {
		}

		public void caller() {
			run();
		}

	}

	static class FinalMethod {

		@ShardedBy("orders")
		public final void run() {
		}

	}

}
