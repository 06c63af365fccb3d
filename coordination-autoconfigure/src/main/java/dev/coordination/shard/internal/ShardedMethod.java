package dev.coordination.shard.internal;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import dev.coordination.etcd.internal.AsyncReturnType;
import dev.coordination.shard.ShardedBy;
import org.jspecify.annotations.NullMarked;
import org.jspecify.annotations.Nullable;

import org.springframework.core.ReactiveAdapterRegistry;

/**
 * A {@link ShardedBy} method, checked: the workload, and whether the method runs for every owned
 * shard (no parameter) or for the shard its one parameter names.
 *
 * @param workload the workload name
 * @param perCall whether the one parameter names the shard; {@code false} for a method without
 * parameters, which runs once per owned shard
 * @param returnsOptional whether a skipped call returns {@code Optional.empty()} rather than
 * {@code null}
 */
@NullMarked
record ShardedMethod(String workload, boolean perCall, boolean returnsOptional) {

	private static final List<Class<?>> SHARD_TYPES = List.of(int.class, long.class, Integer.class, Long.class);

	private static final String SUPPORTED = "Supported: a method without parameters returning void, which runs once"
			+ " per owned shard (read the shard with ShardContext.currentShard()), or a method whose one parameter is"
			+ " the shard number (int, long, Integer or Long), which runs only when this instance owns that shard";

	/**
	 * Check a method and read its annotation.
	 * @param method the annotated method
	 * @param shardedBy its annotation
	 * @param workloads the configured workload names, or {@code null} when sharding is turned off
	 * (names are then not checked)
	 * @return the method
	 * @throws InvalidShardedMethodException naming the method when it cannot run per shard
	 */
	static ShardedMethod of(Method method, ShardedBy shardedBy, @Nullable Collection<String> workloads) {
		String workload = shardedBy.value();
		checkReturnType(method);
		Class<?>[] parameters = method.getParameterTypes();
		if (parameters.length > 1) {
			throw new InvalidShardedMethodException(method, "has " + parameters.length + " parameters", SUPPORTED);
		}
		boolean perCall = parameters.length == 1;
		Class<?> returnType = method.getReturnType();
		if (perCall && !SHARD_TYPES.contains(parameters[0])) {
			throw new InvalidShardedMethodException(method, "has a parameter of type " + parameters[0].getName()
					+ ", which is not a shard number", "Declare the shard number as its only parameter (int, long,"
							+ " Integer or Long), or no parameter to run the method once per owned shard");
		}
		if (!perCall && returnType != void.class) {
			throw new InvalidShardedMethodException(method, "returns " + returnType.getName()
					+ " but has no parameter: it runs once per owned shard, so there is no one result to return",
					"Return void, or take the shard number as the only parameter (int, long, Integer or Long) to run"
							+ " it for one shard and return its result");
		}
		if (perCall && returnType.isPrimitive() && returnType != void.class) {
			throw new InvalidShardedMethodException(method, "returns " + returnType.getName()
					+ ", which cannot express a call skipped because this instance does not own the shard",
					"Return void, an object (null when skipped) or an Optional (empty when skipped)");
		}
		if (workloads != null && !workloads.contains(workload)) {
			throw new InvalidShardedMethodException(method, "names workload '" + workload
					+ "', but no coordination.shards." + workload + ".count configures it"
					+ (workloads.isEmpty() ? " (no workload is configured)"
							: " (configured workloads: " + String.join(", ", workloads) + ")"),
					"Set coordination.shards." + workload + ".count to the number of shards of '" + workload + "'"
							+ (workloads.isEmpty() ? "" : ", or name one of " + String.join(", ", workloads))
							+ " in @ShardedBy");
		}
		return new ShardedMethod(workload, perCall, returnType == Optional.class);
	}

	private static void checkReturnType(Method method) {
		Class<?> type = method.getReturnType();
		String kind = null;
		if (CompletionStage.class.isAssignableFrom(type)) {
			kind = "a CompletionStage";
		}
		else if (type != void.class && type != Object.class
				&& ReactiveAdapterRegistry.getSharedInstance().getAdapter(type) != null) {
			kind = "a reactive type (such as Mono or Flux)";
		}
		else {
			try {
				AsyncReturnType.of(method, "@ShardedBy");
			}
			catch (IllegalStateException ex) {
				kind = "work that goes on after the method returned";
			}
		}
		if (kind != null) {
			throw new InvalidShardedMethodException(method, "returns " + type.getName() + ", " + kind
					+ ", which @ShardedBy does not support: a shard is held only while the method runs, so work that"
					+ " goes on after it returned could still run once the shard moved to another instance",
					"Do the work before returning (block on it inside the method) and return void or a plain value");
		}
	}

	/**
	 * What a skipped call returns.
	 * @return {@code null}, or {@code Optional.empty()}
	 */
	@Nullable Object skipped() {
		return this.returnsOptional ? Optional.empty() : null;
	}

}
