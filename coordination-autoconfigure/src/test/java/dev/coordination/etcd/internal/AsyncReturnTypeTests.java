package dev.coordination.etcd.internal;

import java.lang.reflect.Method;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.util.ReflectionUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link AsyncReturnType}.
 */
class AsyncReturnTypeTests {

	@Test
	void synchronousResults() {
		assertThat(kind("nothing")).isEqualTo(AsyncReturnType.Kind.SYNCHRONOUS);
		assertThat(kind("text")).isEqualTo(AsyncReturnType.Kind.SYNCHRONOUS);
		assertThat(kind("optional")).isEqualTo(AsyncReturnType.Kind.SYNCHRONOUS);
		assertThat(kind("number")).isEqualTo(AsyncReturnType.Kind.SYNCHRONOUS);
	}

	@Test
	void completionStages() {
		assertThat(kind("stage")).isEqualTo(AsyncReturnType.Kind.COMPLETION_STAGE);
		assertThat(kind("future")).isEqualTo(AsyncReturnType.Kind.COMPLETION_STAGE);
	}

	@Test
	void publishersWithTheirAdapter() {
		AsyncReturnType mono = AsyncReturnType.of(method("mono"), "@Test");
		assertThat(mono.kind()).isEqualTo(AsyncReturnType.Kind.PUBLISHER);
		assertThat(mono.adapter().isMultiValue()).isFalse();
		AsyncReturnType flux = AsyncReturnType.of(method("flux"), "@Test");
		assertThat(flux.kind()).isEqualTo(AsyncReturnType.Kind.PUBLISHER);
		assertThat(flux.adapter().isMultiValue()).isTrue();
		assertThat(kind("publisher")).isEqualTo(AsyncReturnType.Kind.PUBLISHER);
	}

	@Test
	void workTheAspectCannotFollowFailsNamingTheMethodAndWhatIsSupported() {
		assertThatIllegalStateException().isThrownBy(() -> AsyncReturnType.of(method("plainFuture"), "@DistributedLocked"))
			.withMessageContaining("@DistributedLocked method " + Methods.class.getName() + ".plainFuture() returns "
					+ Future.class.getName())
			.withMessageContaining("Supported: a synchronous result (any type or void), CompletionStage or "
					+ "CompletableFuture, and Reactive Streams types such as Mono and Flux");
		assertThatIllegalStateException().isThrownBy(() -> AsyncReturnType.of(method("callable"), "@LeaderOnly"))
			.withMessageContaining("@LeaderOnly method " + Methods.class.getName() + ".callable() returns "
					+ Callable.class.getName() + ", whose work runs after the method returned");
		assertThatIllegalStateException().isThrownBy(() -> AsyncReturnType.of(method("ownFuture"), "@LeaderOnly"))
			.withMessageContaining("a CompletionStage that @LeaderOnly cannot create; declare CompletionStage or"
					+ " CompletableFuture");
	}

	@Test
	void onlyAPublisherHasAnAdapter() {
		assertThatIllegalStateException().isThrownBy(() -> AsyncReturnType.of(method("stage"), "@Test").adapter());
	}

	private static AsyncReturnType.Kind kind(String name) {
		return AsyncReturnType.of(method(name), "@Test").kind();
	}

	private static Method method(String name) {
		Method method = ReflectionUtils.findMethod(Methods.class, name);
		assertThat(method).as(name).isNotNull();
		return method;
	}

	interface Methods {

		void nothing();

		String text();

		Optional<String> optional();

		int number();

		CompletionStage<String> stage();

		CompletableFuture<String> future();

		Mono<String> mono();

		Flux<String> flux();

		Publisher<String> publisher();

		Future<String> plainFuture();

		Callable<String> callable();

		OwnFuture ownFuture();

	}

	static class OwnFuture extends CompletableFuture<String> {

	}

}
