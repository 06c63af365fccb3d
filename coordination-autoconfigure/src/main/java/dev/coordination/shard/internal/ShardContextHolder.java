package dev.coordination.shard.internal;

import java.util.function.BooleanSupplier;

import org.jspecify.annotations.Nullable;

/**
 * The shard a {@code @ShardedBy} method runs for, bound to the thread that runs it.
 */
public final class ShardContextHolder {

	private static final ThreadLocal<@Nullable Running> CURRENT = new ThreadLocal<>();

	private ShardContextHolder() {
	}

	/**
	 * The shard the current thread runs for.
	 * @return the run, or {@code null} outside a {@code @ShardedBy} method
	 */
	public static @Nullable Running current() {
		return CURRENT.get();
	}

	/**
	 * Run {@code task} bound to {@code running}, restoring what was bound before.
	 * @param running the shard
	 * @param task what to run
	 * @param <T> the result type
	 * @return the task's result
	 * @throws Throwable what the task threw
	 */
	public static <T> @Nullable T with(Running running, Task<T> task) throws Throwable {
		Running previous = CURRENT.get();
		CURRENT.set(running);
		try {
			return task.run();
		}
		finally {
			if (previous != null) {
				CURRENT.set(previous);
			}
			else {
				CURRENT.remove();
			}
		}
	}

	/**
	 * A run of a {@code @ShardedBy} method for one shard.
	 *
	 * @param workload the workload name
	 * @param shard the shard number
	 * @param token the fencing token of the ownership it runs under
	 * @param stillOwner whether that ownership still holds
	 */
	public record Running(String workload, int shard, long token, BooleanSupplier stillOwner) {

		/**
		 * Whether the ownership the run started under still holds.
		 * @return {@code true} when still owning the shard under the same token
		 */
		public boolean isStillOwner() {
			return this.stillOwner.getAsBoolean();
		}

	}

	/**
	 * Work that may throw anything.
	 * @param <T> the result type
	 */
	@FunctionalInterface
	public interface Task<T> {

		/**
		 * Run.
		 * @return the result
		 * @throws Throwable what it threw
		 */
		@Nullable T run() throws Throwable;

	}

}
