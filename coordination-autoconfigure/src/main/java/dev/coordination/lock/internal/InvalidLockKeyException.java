package dev.coordination.lock.internal;

import java.lang.reflect.Method;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when the key expression of a {@code @DistributedLocked} method cannot work: it does not
 * parse, or it references a variable that is not one of the method's parameters. Thrown when the
 * bean is created, so that start-up fails once, naming the method and what would be valid.
 */
public class InvalidLockKeyException extends IllegalStateException {

	private final Method method;

	private final String key;

	private final @Nullable String unknownVariable;

	private final List<String> validVariables;

	InvalidLockKeyException(Method method, String key, @Nullable String unknownVariable, List<String> validVariables,
			String message, @Nullable Throwable cause) {
		super(message, cause);
		this.method = method;
		this.key = key;
		this.unknownVariable = unknownVariable;
		this.validVariables = List.copyOf(validVariables);
	}

	/**
	 * The annotated method.
	 * @return the method
	 */
	public Method getMethod() {
		return this.method;
	}

	/**
	 * The key expression as written.
	 * @return the expression
	 */
	public String getKey() {
		return this.key;
	}

	/**
	 * The variable the expression references that the method does not have.
	 * @return its name with {@code #}, or {@code null} when the expression does not parse
	 */
	public @Nullable String getUnknownVariable() {
		return this.unknownVariable;
	}

	/**
	 * The variables a key of this method can reference: its parameter names (when compiled with
	 * {@code -parameters}), {@code #p0}/{@code #a0} and so on, {@code #root} and {@code #this}.
	 * @return the names, each with {@code #}
	 */
	public List<String> getValidVariables() {
		return this.validVariables;
	}

}
