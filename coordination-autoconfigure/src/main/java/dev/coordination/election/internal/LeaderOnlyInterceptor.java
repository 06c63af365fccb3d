package dev.coordination.election.internal;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.RevocationReason;
import dev.coordination.election.internal.LeaderContextHolder.Running;
import dev.coordination.etcd.internal.AsyncReturnType;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.Assert;

/**
 * Runs a {@link LeaderOnly} method only when this instance leads its election, checked at every
 * call against the session's local deadline without an etcd call.
 * <p>
 * A method returning a {@code CompletionStage} is checked when called; a non-leader's call returns
 * a stage completed with {@code null}, or failed with {@link NotLeaderException}. A method returning
 * a reactive type ({@link AsyncReturnType}) is checked, and runs, at each subscription; a
 * non-leader's subscription completes empty or fails with {@link NotLeaderException}. Neither
 * throws from the call. With {@code interruptOnRevoke}, a revocation while the work runs cancels it
 * and fails the stage or publisher with {@link NotLeaderException}.
 */
class LeaderOnlyInterceptor implements MethodInterceptor {

	private static final String ANNOTATION = "@LeaderOnly";

	private final Supplier<LeaderElections> elections;

	private final Map<Method, Settings> settings = new ConcurrentHashMap<>();

	LeaderOnlyInterceptor(Supplier<LeaderElections> elections) {
		this.elections = elections;
	}

	@Override
	public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		Method method = invocation.getMethod();
		// synthesized annotations are slow to read: resolve once per method
		Settings settings = this.settings.computeIfAbsent(method, (key) -> Settings.of(find(key,
				(invocation.getThis() != null) ? AopUtils.getTargetClass(invocation.getThis()) : key.getDeclaringClass()),
				key));
		LeaderElection election = this.elections.get().election(settings.election());
		switch (settings.returnType().kind()) {
			case COMPLETION_STAGE:
				return invokeStage(invocation, election, settings);
			case PUBLISHER:
				return ReactorLeadership.invoke(invocation, settings.returnType().adapter(), election,
						settings.onNotLeader() == LeaderOnly.OnNotLeader.THROW, settings.interruptOnRevoke());
			default:
				break;
		}
		Optional<LeaderTerm> term = election.currentTerm();
		if (term.isEmpty()) {
			if (settings.onNotLeader() == LeaderOnly.OnNotLeader.THROW) {
				throw new NotLeaderException(election.name(), DisabledLeaderElections.described(election, describe(method)));
			}
			return skipped(method);
		}
		Running previous = LeaderContextHolder.enter(election, term.get());
		try {
			if (settings.interruptOnRevoke() && election instanceof EtcdLeaderElection etcdElection) {
				return etcdElection.interruptibly(invocation::proceed);
			}
			return invocation.proceed();
		}
		finally {
			LeaderContextHolder.exit(previous);
		}
	}

	/**
	 * A method returning a {@code CompletionStage}: checked when called, the body runs with the term
	 * in {@link LeaderContextHolder}; with {@code interruptOnRevoke}, the caller gets a stage that
	 * fails when the term ends before the method's own stage completed.
	 */
	private static @Nullable Object invokeStage(MethodInvocation invocation, LeaderElection election, Settings settings)
			throws Throwable {
		Optional<LeaderTerm> term = election.currentTerm();
		if (term.isEmpty()) {
			return (settings.onNotLeader() == LeaderOnly.OnNotLeader.THROW)
					? CompletableFuture.failedFuture(new NotLeaderException(election.name(),
							DisabledLeaderElections.described(election, describe(invocation.getMethod()))))
					: CompletableFuture.completedFuture(null);
		}
		Object returned;
		Running previous = LeaderContextHolder.enter(election, term.get());
		try {
			returned = invocation.proceed();
		}
		finally {
			LeaderContextHolder.exit(previous);
		}
		if (returned == null || !settings.interruptOnRevoke() || !(election instanceof EtcdLeaderElection etcdElection)) {
			return returned;
		}
		return untilRevoked((CompletionStage<?>) returned, etcdElection.revocation(term.get()), election.name(),
				describe(invocation.getMethod()));
	}

	/**
	 * The outcome of {@code work}, unless {@code revocation} completes first: then the result fails
	 * with {@link NotLeaderException} and {@code work}, when it is a {@link Future}, is cancelled
	 * (interrupting). Cancelling the result cancels the work too.
	 * @param work the method's stage
	 * @param revocation completes when the term ends; cancelled once the work is done
	 * @param election the election name
	 * @param method the method, for messages
	 * @return the caller's stage
	 */
	static CompletableFuture<@Nullable Object> untilRevoked(CompletionStage<?> work,
			CompletableFuture<RevocationReason> revocation, String election, String method) {
		CompletableFuture<@Nullable Object> result = new CompletableFuture<>();
		revocation.thenAccept((reason) -> {
			if (result.completeExceptionally(new NotLeaderException(election, method, reason))) {
				cancel(work);
			}
		});
		work.whenComplete((value, failure) -> {
			revocation.cancel(false);
			if (failure != null) {
				result.completeExceptionally(failure);
			}
			else {
				result.complete(value);
			}
		});
		result.whenComplete((value, failure) -> {
			if (result.isCancelled()) {
				revocation.cancel(false);
				cancel(work);
			}
		});
		return result;
	}

	private static void cancel(CompletionStage<?> work) {
		if (work instanceof Future<?> future) {
			future.cancel(true);
		}
	}

	static LeaderOnly find(Method method, Class<?> targetClass) {
		Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
		LeaderOnly onMethod = AnnotatedElementUtils.findMergedAnnotation(specific, LeaderOnly.class);
		if (onMethod != null) {
			return onMethod;
		}
		LeaderOnly onClass = AnnotatedElementUtils.findMergedAnnotation(targetClass, LeaderOnly.class);
		Assert.state(onClass != null, () -> "Neither " + describe(method) + " nor " + targetClass.getName()
				+ " is annotated with @LeaderOnly, yet the advisor matched it");
		return onClass;
	}

	/**
	 * How a method returns its work.
	 * @param method a {@code @LeaderOnly} method
	 * @return its return type's kind
	 * @throws IllegalStateException naming the method when {@code @LeaderOnly} cannot follow its work
	 */
	static AsyncReturnType returnType(Method method) {
		return AsyncReturnType.of(method, ANNOTATION);
	}

	static @Nullable Object skipped(Method method) {
		return (method.getReturnType() == Optional.class) ? Optional.empty() : null;
	}

	static String describe(Method method) {
		return method.getDeclaringClass().getName() + "." + method.getName() + "()";
	}

	private record Settings(String election, LeaderOnly.OnNotLeader onNotLeader, boolean interruptOnRevoke,
			AsyncReturnType returnType) {

		static Settings of(LeaderOnly leaderOnly, Method method) {
			return new Settings(leaderOnly.election(), leaderOnly.onNotLeader(), leaderOnly.interruptOnRevoke(),
					LeaderOnlyInterceptor.returnType(method));
		}

	}

}
