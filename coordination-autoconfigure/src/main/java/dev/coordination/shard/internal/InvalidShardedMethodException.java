package dev.coordination.shard.internal;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.stream.Collectors;

import org.jspecify.annotations.NullMarked;

/**
 * Thrown when the bean of a {@code @ShardedBy} method is created and the method cannot run per
 * shard: an unknown workload, a parameter that is not the shard number, a result that cannot be
 * skipped, or work that goes on after the method returned. Start-up fails naming the method, what
 * is wrong and what would be valid, rather than the method running unguarded or not at all.
 */
@NullMarked
public class InvalidShardedMethodException extends IllegalStateException {

	private final Method method;

	private final String problem;

	private final String action;

	/**
	 * Create the exception.
	 * @param method the annotated method
	 * @param problem what is wrong, completing "@ShardedBy method m(..) ", such as
	 * {@code "has 2 parameters"}
	 * @param action what would be valid
	 */
	public InvalidShardedMethodException(Method method, String problem, String action) {
		super("@ShardedBy method " + describe(method) + " " + problem + ". " + action);
		this.method = method;
		this.problem = problem;
		this.action = action;
	}

	/**
	 * The method and its parameter types, such as {@code com.example.Jobs.process(String)}.
	 * @param method a method
	 * @return the description
	 */
	public static String describe(Method method) {
		return method.getDeclaringClass().getName() + "." + method.getName()
				+ Arrays.stream(method.getParameterTypes())
					.map(Class::getSimpleName)
					.collect(Collectors.joining(", ", "(", ")"));
	}

	/**
	 * The annotated method.
	 * @return the method
	 */
	public Method getMethod() {
		return this.method;
	}

	/**
	 * What is wrong, completing "@ShardedBy method m(..) ".
	 * @return the problem
	 */
	public String getProblem() {
		return this.problem;
	}

	/**
	 * What would be valid.
	 * @return the action
	 */
	public String getAction() {
		return this.action;
	}

}
