package dev.coordination.shard.internal;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.coordination.shard.ShardContext;
import dev.coordination.shard.ShardedBy;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.NullMarked;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.aop.support.AopUtils;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.Assert;

/**
 * Runs a {@link ShardedBy} method for the shards this instance owns, checked at every call without
 * an etcd call.
 * <p>
 * A method without parameters runs once per shard owned at the time of the call, in ascending
 * order, on the calling thread; each run holds its shard (a rebalance that moves it waits for the
 * run to end before the shard's key is deleted) and finds it in {@link ShardContext}. A shard
 * given up between the start of the call and its turn is skipped. When a run throws, the other
 * shards still run, and the call then throws the first failure with the later ones suppressed in
 * it; an {@link Error} ends the call at once. A call whose thread is interrupted runs no further
 * shard.
 * <p>
 * A method whose one parameter is the shard number runs only when this instance owns that shard,
 * holding it as above; otherwise the call is skipped and returns {@code null} (or
 * {@code Optional.empty()}). A {@code null} shard, or a number that is not a shard of the workload,
 * throws {@link IllegalArgumentException} naming the method.
 * <p>
 * Sharding turned off, this instance owns no shard: every call is skipped.
 */
@NullMarked
class ShardedByInterceptor implements MethodInterceptor {

	private final Supplier<ShardedWorkloads> workloads;

	private final @Nullable String disabledBy;

	private final Map<Method, ShardedMethod> methods = new ConcurrentHashMap<>();

	ShardedByInterceptor(Supplier<ShardedWorkloads> workloads, @Nullable String disabledBy) {
		this.workloads = workloads;
		this.disabledBy = disabledBy;
	}

	@Override
	public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		Object target = invocation.getThis();
		Method method = AopUtils.getMostSpecificMethod(invocation.getMethod(),
				(target != null) ? AopUtils.getTargetClass(target) : invocation.getMethod().getDeclaringClass());
		// synthesized annotations are slow to read: resolve once per method
		ShardedMethod sharded = this.methods.computeIfAbsent(method, (key) -> {
			ShardedBy annotation = AnnotatedElementUtils.findMergedAnnotation(key, ShardedBy.class);
			Assert.state(annotation != null, () -> InvalidShardedMethodException.describe(key)
					+ " is not annotated with @ShardedBy, yet the advisor matched it");
			// the names were checked when the bean was created
			return ShardedMethod.of(key, annotation, null);
		});
		if (sharded.perCall()) {
			return invokeForShard(invocation, method, sharded);
		}
		if (this.disabledBy != null) {
			return null;
		}
		ShardedWorkload workload = this.workloads.get().workload(sharded.workload());
		Throwable failure = null;
		for (int shard : workload.ownedShards()) {
			if (Thread.currentThread().isInterrupted()) {
				break;
			}
			try {
				run(invocableClone(invocation), workload, shard);
			}
			catch (Error ex) {
				if (failure != null) {
					ex.addSuppressed(failure);
				}
				throw ex;
			}
			catch (Throwable ex) {
				if (failure == null) {
					failure = ex;
				}
				else {
					failure.addSuppressed(ex);
				}
			}
		}
		if (failure != null) {
			throw failure;
		}
		return null;
	}

	private @Nullable Object invokeForShard(MethodInvocation invocation, Method method, ShardedMethod sharded)
			throws Throwable {
		Object argument = invocation.getArguments()[0];
		if (argument == null) {
			throw new IllegalArgumentException("@ShardedBy method " + InvalidShardedMethodException.describe(method)
					+ " was called with a null shard number: pass a shard of workload '" + sharded.workload() + "'");
		}
		if (this.disabledBy != null) {
			return sharded.skipped();
		}
		ShardedWorkload workload = this.workloads.get().workload(sharded.workload());
		long number = ((Number) argument).longValue();
		if (number < 0 || number >= workload.shardCount()) {
			throw new IllegalArgumentException("@ShardedBy method " + InvalidShardedMethodException.describe(method)
					+ " was called with shard " + number + ", which is not a shard of workload '" + workload.name()
					+ "': its shards are 0 to " + (workload.shardCount() - 1) + " (coordination.shards."
					+ workload.name() + ".count=" + workload.shardCount() + ")");
		}
		ShardRun run = run(invocation, workload, (int) number);
		return run.ran() ? run.result() : sharded.skipped();
	}

	/**
	 * Run the method for one shard if this instance still owns it, holding the shard meanwhile.
	 */
	private static ShardRun run(MethodInvocation invocation, ShardedWorkload workload, int shard) throws Throwable {
		EtcdShardedWorkload.Hold hold = hold(workload, shard);
		if (hold == null) {
			return ShardRun.SKIPPED;
		}
		try {
			Object result = ShardContextHolder.with(
					new ShardContextHolder.Running(workload.name(), shard, hold.token(), hold::isValid),
					invocation::proceed);
			return new ShardRun(true, result);
		}
		finally {
			hold.close();
		}
	}

	private static EtcdShardedWorkload.@Nullable Hold hold(ShardedWorkload workload, int shard) {
		if (workload instanceof EtcdShardedWorkload etcd) {
			return etcd.hold(shard);
		}
		// a workload of the application's own: its fencing token stands for the ownership, without a hold
		OptionalLong token = workload.fencingToken(shard);
		if (token.isEmpty()) {
			return null;
		}
		long held = token.getAsLong();
		return new EtcdShardedWorkload.Hold() {

			@Override
			public int shard() {
				return shard;
			}

			@Override
			public long token() {
				return held;
			}

			@Override
			public boolean isValid() {
				OptionalLong now = workload.fencingToken(shard);
				return now.isPresent() && now.getAsLong() == held;
			}

			@Override
			public void close() {
			}

		};
	}

	// one invocation proceeds once: each shard's run needs its own
	private static MethodInvocation invocableClone(MethodInvocation invocation) {
		return (invocation instanceof ProxyMethodInvocation proxy) ? proxy.invocableClone() : invocation;
	}

	private record ShardRun(boolean ran, @Nullable Object result) {

		static final ShardRun SKIPPED = new ShardRun(false, null);

	}

}
