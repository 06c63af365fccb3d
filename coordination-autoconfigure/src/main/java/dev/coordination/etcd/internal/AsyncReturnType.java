package dev.coordination.etcd.internal;

import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.jspecify.annotations.Nullable;

import org.springframework.core.KotlinDetector;
import org.springframework.core.ReactiveAdapter;
import org.springframework.core.ReactiveAdapterRegistry;
import org.springframework.util.Assert;
import org.springframework.util.ClassUtils;

/**
 * How an annotated method hands back its work, for the aspects that hold something (a lock,
 * leadership) until the work is done: at once ({@link Kind#SYNCHRONOUS}), as a
 * {@link CompletionStage} that completes later, or as a Reactive Streams publisher (Reactor's
 * {@code Mono} and {@code Flux}, or any type Spring's {@link ReactiveAdapterRegistry} adapts) whose
 * work runs when it is subscribed to.
 * <p>
 * A return type whose work runs after the method returned in a way the aspect cannot follow is
 * rejected by {@link #of} with an {@link IllegalStateException} naming the method and what is
 * supported, so that it fails when the bean is created instead of releasing early: a Kotlin
 * {@code suspend} function, a {@link java.util.concurrent.Future} that is no
 * {@code CompletionStage}, a {@link java.util.concurrent.Callable}, Spring MVC's
 * {@code DeferredResult}, {@code WebAsyncTask}, {@code ResponseBodyEmitter} and
 * {@code StreamingResponseBody}, a {@code CompletionStage} subtype the aspect cannot create, and a
 * reactive type without Reactor on the classpath.
 */
public final class AsyncReturnType {

	private static final boolean reactorPresent = ClassUtils.isPresent("reactor.core.publisher.Flux",
			AsyncReturnType.class.getClassLoader());

	private static final List<String> DEFERRED = List.of("java.util.concurrent.Future", "java.util.concurrent.Callable",
			"org.springframework.web.context.request.async.DeferredResult",
			"org.springframework.web.context.request.async.WebAsyncTask",
			"org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter",
			"org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody");

	private static final AsyncReturnType SYNCHRONOUS = new AsyncReturnType(Kind.SYNCHRONOUS, null);

	private static final AsyncReturnType COMPLETION_STAGE = new AsyncReturnType(Kind.COMPLETION_STAGE, null);

	private final Kind kind;

	private final @Nullable ReactiveAdapter adapter;

	private AsyncReturnType(Kind kind, @Nullable ReactiveAdapter adapter) {
		this.kind = kind;
		this.adapter = adapter;
	}

	/**
	 * Classify a method's return type.
	 * @param method the annotated method
	 * @param annotation the annotation, for messages: {@code @DistributedLocked}
	 * @return how it returns its work
	 * @throws IllegalStateException naming the method when the aspect cannot follow its work
	 */
	public static AsyncReturnType of(Method method, String annotation) {
		Class<?> type = method.getReturnType();
		if (KotlinDetector.isSuspendingFunction(method)) {
			throw unsupported(method, annotation, "is a Kotlin suspend function, whose work " + annotation
					+ " cannot follow");
		}
		if (CompletionStage.class.isAssignableFrom(type)) {
			if (!type.isAssignableFrom(CompletableFuture.class)) {
				throw unsupported(method, annotation, "returns " + type.getName() + ", a CompletionStage that "
						+ annotation + " cannot create; declare CompletionStage or CompletableFuture");
			}
			return COMPLETION_STAGE;
		}
		ReactiveAdapter adapter = (type != void.class && type != Object.class)
				? ReactiveAdapterRegistry.getSharedInstance().getAdapter(type) : null;
		if (adapter != null) {
			if (!reactorPresent) {
				throw unsupported(method, annotation, "returns " + type.getName() + ", which " + annotation
						+ " follows with Project Reactor: add io.projectreactor:reactor-core");
			}
			return new AsyncReturnType(Kind.PUBLISHER, adapter);
		}
		ClassLoader classLoader = method.getDeclaringClass().getClassLoader();
		for (String deferred : DEFERRED) {
			if (ClassUtils.isPresent(deferred, classLoader)
					&& ClassUtils.resolveClassName(deferred, classLoader).isAssignableFrom(type)) {
				throw unsupported(method, annotation, "returns " + type.getName() + ", whose work runs after the"
						+ " method returned, where " + annotation + " cannot follow it");
			}
		}
		return SYNCHRONOUS;
	}

	private static IllegalStateException unsupported(Method method, String annotation, String why) {
		return new IllegalStateException(annotation + " method " + method.getDeclaringClass().getName() + "."
				+ method.getName() + "() " + why + ". Supported: a synchronous result (any type or void),"
				+ " CompletionStage or CompletableFuture, and Reactive Streams types such as Mono and Flux");
	}

	/**
	 * How the method hands back its work.
	 * @return the kind
	 */
	public Kind kind() {
		return this.kind;
	}

	/**
	 * The adapter between the method's reactive type and Reactive Streams.
	 * @return the adapter
	 * @throws IllegalStateException when the kind is not {@link Kind#PUBLISHER}
	 */
	public ReactiveAdapter adapter() {
		ReactiveAdapter adapter = this.adapter;
		Assert.state(adapter != null, "Only a publisher has an adapter");
		return adapter;
	}

	/**
	 * Ways a method hands back its work.
	 */
	public enum Kind {

		/**
		 * The work is done when the method returns.
		 */
		SYNCHRONOUS,

		/**
		 * The work is done when the returned {@link CompletionStage} completes.
		 */
		COMPLETION_STAGE,

		/**
		 * The work runs when the returned publisher is subscribed to, and is done when it
		 * completes, fails or is cancelled.
		 */
		PUBLISHER

	}

}
