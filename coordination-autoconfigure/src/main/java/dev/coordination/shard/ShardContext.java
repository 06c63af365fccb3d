package dev.coordination.shard;

import java.util.OptionalInt;
import java.util.OptionalLong;

import dev.coordination.shard.internal.ShardContextHolder;

/**
 * What a {@link ShardedBy} method can learn about the shard it runs for, on the thread that runs the
 * method body.
 */
public final class ShardContext {

	private ShardContext() {
	}

	/**
	 * The shard the current {@code @ShardedBy} method runs for.
	 * @return the shard number, empty outside a {@code @ShardedBy} method
	 */
	public static OptionalInt currentShard() {
		ShardContextHolder.Running running = ShardContextHolder.current();
		return (running != null) ? OptionalInt.of(running.shard()) : OptionalInt.empty();
	}

	/**
	 * The fencing token of the ownership the current {@code @ShardedBy} method runs under.
	 * @return the token, empty outside a {@code @ShardedBy} method
	 */
	public static OptionalLong currentToken() {
		ShardContextHolder.Running running = ShardContextHolder.current();
		return (running != null) ? OptionalLong.of(running.token()) : OptionalLong.empty();
	}

	/**
	 * Whether this instance still owns the shard the current {@code @ShardedBy} method runs for,
	 * under the same token, with its session provably alive. Check it before an irreversible step.
	 * @return {@code true} when still owning the shard
	 */
	public static boolean isStillOwner() {
		ShardContextHolder.Running running = ShardContextHolder.current();
		return running != null && running.isStillOwner();
	}

}
