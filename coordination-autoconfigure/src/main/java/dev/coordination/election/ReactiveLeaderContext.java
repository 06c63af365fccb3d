package dev.coordination.election;

import java.util.Optional;

import dev.coordination.election.internal.LeaderContextHolder.Running;
import reactor.core.publisher.Mono;

/**
 * What the work of a {@link LeaderOnly} method returning a {@code Mono}, a {@code Flux} or another
 * reactive type can learn about the leadership it runs under: the term is in the Reactor context of
 * the work, whatever thread it runs on. In the method body itself, {@link LeaderContext} answers as
 * well. Needs Project Reactor.
 *
 * <pre class="code">
 * &#64;LeaderOnly("reports")
 * public Mono&lt;Void&gt; rebuild() {
 *     return ReactiveLeaderContext.currentTerm().flatMap((term) -&gt; store.write(report, term.token()));
 * }
 * </pre>
 */
public final class ReactiveLeaderContext {

	private ReactiveLeaderContext() {
	}

	/**
	 * The term the current {@code @LeaderOnly} work was subscribed to under.
	 * @return the term, empty outside the work of a {@code @LeaderOnly} method
	 */
	public static Mono<LeaderTerm> currentTerm() {
		return Mono.deferContextual((context) -> Mono.justOrEmpty(running(context.getOrEmpty(Running.class))
			.map(Running::term)));
	}

	/**
	 * Whether the term the current {@code @LeaderOnly} work was subscribed to under still holds: the
	 * same term, and the session provably alive, when subscribed to. Check it before an
	 * irreversible step.
	 * @return {@code true} when still leading in the same term; {@code false} also outside the work
	 * of a {@code @LeaderOnly} method
	 */
	public static Mono<Boolean> isStillLeader() {
		return Mono.deferContextual((context) -> Mono.just(running(context.getOrEmpty(Running.class))
			.map(Running::isStillLeader)
			.orElse(false)));
	}

	private static Optional<Running> running(Optional<Object> value) {
		return value.filter(Running.class::isInstance).map(Running.class::cast);
	}

}
