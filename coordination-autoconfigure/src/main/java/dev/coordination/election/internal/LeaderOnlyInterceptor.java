package dev.coordination.election.internal;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.internal.LeaderContextHolder.Running;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.Assert;

/**
 * Runs a {@link LeaderOnly} method only when this instance leads its election, checked at every
 * call against the session's local deadline without an etcd call.
 */
class LeaderOnlyInterceptor implements MethodInterceptor {

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
				(invocation.getThis() != null) ? AopUtils.getTargetClass(invocation.getThis()) : key.getDeclaringClass())));
		LeaderElection election = this.elections.get().election(settings.election());
		Optional<LeaderTerm> term = election.currentTerm();
		if (term.isEmpty()) {
			if (settings.onNotLeader() == LeaderOnly.OnNotLeader.THROW) {
				throw new NotLeaderException(election.name(), describe(method));
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

	static @Nullable Object skipped(Method method) {
		return (method.getReturnType() == Optional.class) ? Optional.empty() : null;
	}

	static String describe(Method method) {
		return method.getDeclaringClass().getName() + "." + method.getName() + "()";
	}

	private record Settings(String election, LeaderOnly.OnNotLeader onNotLeader, boolean interruptOnRevoke) {

		static Settings of(LeaderOnly leaderOnly) {
			return new Settings(leaderOnly.election(), leaderOnly.onNotLeader(), leaderOnly.interruptOnRevoke());
		}

	}

}
