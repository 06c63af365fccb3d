package dev.coordination.election.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.function.Supplier;

import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import org.aopalliance.aop.Advice;

import org.springframework.aop.ClassFilter;
import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.StaticMethodMatcher;
import org.springframework.aop.support.annotation.AnnotationClassFilter;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.core.Ordered;

/**
 * Applies {@link LeaderOnly} to annotated methods, and to the public methods of annotated classes.
 */
public class LeaderOnlyAdvisor extends AbstractPointcutAdvisor {

	/**
	 * Before {@code @DistributedLocked} and before {@code @Transactional} and other advisors at
	 * Spring's default order (the lowest precedence): a non-leader skips without taking a lock or
	 * opening a transaction.
	 */
	public static final int ORDER = Ordered.LOWEST_PRECEDENCE - 200;

	private final Advice advice;

	private final Pointcut pointcut;

	public LeaderOnlyAdvisor(Supplier<LeaderElections> elections) {
		this.advice = new LeaderOnlyInterceptor(elections);
		setOrder(ORDER);
		// the annotation may sit on an interface method: a class proxy must find it there too
		Pointcut onMethods = new AnnotationMatchingPointcut(null, LeaderOnly.class, true);
		Pointcut onClasses = new ComposablePointcut((ClassFilter) new AnnotationClassFilter(LeaderOnly.class, true),
				new PublicMethods());
		this.pointcut = new ComposablePointcut(onMethods).union(onClasses);
	}

	@Override
	public Pointcut getPointcut() {
		return this.pointcut;
	}

	@Override
	public Advice getAdvice() {
		return this.advice;
	}

	private static final class PublicMethods extends StaticMethodMatcher {

		@Override
		public boolean matches(Method method, Class<?> targetClass) {
			return Modifier.isPublic(method.getModifiers()) && method.getDeclaringClass() != Object.class;
		}

	}

}
