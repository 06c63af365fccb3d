package dev.coordination.autoconfigure;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.stream.Collectors;

import dev.coordination.lock.internal.InvalidLockKeyException;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a {@code @DistributedLocked} key expression that does not parse or references a
 * variable the method does not have: the bean, the method, the expression and the names a key can
 * use.
 */
class InvalidLockKeyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidLockKeyException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidLockKeyException cause) {
		Method method = cause.getMethod();
		BeanCreationException creation = BeanCreationFailures.innermostCreation(rootFailure, cause);
		String bean = (creation != null && creation.getBeanName() != null)
				? "bean '" + creation.getBeanName() + "' (" + method.getDeclaringClass().getName() + ")"
				: method.getDeclaringClass().getName();
		StringBuilder description = new StringBuilder();
		description.append("The @DistributedLocked key of method ").append(signature(method)).append(" in ").append(bean);
		@Nullable String unknown = cause.getUnknownVariable();
		if (unknown != null) {
			description.append(" references ").append(unknown).append(", which is not a parameter of the method.\n\n");
		}
		else {
			Throwable parseError = cause.getCause();
			description.append(" does not parse:\n\n    ")
				.append((parseError != null) ? parseError.getMessage() : cause.getMessage())
				.append("\n\n");
		}
		description.append("    key: ").append(cause.getKey()).append("\n");
		description.append("    valid names: ").append(String.join(", ", cause.getValidVariables()));
		String action = (unknown != null)
				? "Change the key of " + signature(method) + " to use one of " + String.join(", ", cause.getValidVariables())
						+ ", for example: " + example(cause)
				: "Fix the SpEL syntax of the key of " + signature(method) + ": a text in single quotes joined with"
						+ " + to parameter names, for example: " + example(cause);
		return new FailureAnalysis(description.toString(), action, cause);
	}


	private static String example(InvalidLockKeyException cause) {
		String first = cause.getValidVariables().isEmpty() ? "#p0" : cause.getValidVariables().get(0);
		return "'" + cause.getMethod().getName() + "/' + " + (first.equals("#root") ? "'all'" : first);
	}

	private static String signature(Method method) {
		return method.getName() + Arrays.stream(method.getParameterTypes())
			.map(Class::getSimpleName)
			.collect(Collectors.joining(", ", "(", ")"));
	}

}
