package dev.coordination.shard.internal;

import java.util.function.Supplier;

import dev.coordination.shard.ShardedBy;
import dev.coordination.shard.ShardedWorkloads;
import org.aopalliance.aop.Advice;
import org.jspecify.annotations.NullMarked;

import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.core.Ordered;

/**
 * Applies {@link ShardedBy} to annotated methods (see {@link ShardedByInterceptor}).
 */
@NullMarked
public class ShardedByAdvisor extends AbstractPointcutAdvisor {

	/**
	 * After {@code @LeaderOnly} ({@code LOWEST_PRECEDENCE - 200}) and before
	 * {@code @DistributedLocked} ({@code - 100}), {@code @Transactional} and other advisors at
	 * Spring's default order: a non-leader skips before any shard is looked at, and a shard that is
	 * not owned is skipped without taking a lock or opening a transaction. A method without
	 * parameters takes its lock, and runs its transaction, once per shard, inside the shard's run.
	 */
	public static final int ORDER = Ordered.LOWEST_PRECEDENCE - 150;

	// the annotation may sit on an interface method: a class proxy must find it there too
	private final Pointcut pointcut = new AnnotationMatchingPointcut(null, ShardedBy.class, true);

	private final Advice advice;

	/**
	 * Create the advisor of an application whose sharding is on.
	 * @param workloads the workloads, looked up at the first call
	 */
	public ShardedByAdvisor(Supplier<ShardedWorkloads> workloads) {
		this.advice = new ShardedByInterceptor(workloads, null);
		setOrder(ORDER);
	}

	private ShardedByAdvisor(String disabledBy) {
		this.advice = new ShardedByInterceptor(() -> {
			throw new IllegalStateException("Sharding is off: " + disabledBy);
		}, disabledBy);
		setOrder(ORDER);
	}

	/**
	 * The advisor of an application whose sharding is turned off: this instance owns no shard, so
	 * every call is skipped.
	 * @param disabledBy the property that turned sharding off, such as
	 * {@code coordination.enabled=false}
	 * @return the advisor
	 */
	public static ShardedByAdvisor disabled(String disabledBy) {
		return new ShardedByAdvisor(disabledBy);
	}

	@Override
	public Pointcut getPointcut() {
		return this.pointcut;
	}

	@Override
	public Advice getAdvice() {
		return this.advice;
	}

}
