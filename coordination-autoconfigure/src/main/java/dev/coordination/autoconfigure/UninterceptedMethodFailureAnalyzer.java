package dev.coordination.autoconfigure;

import dev.coordination.etcd.internal.UninterceptedMethodException;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a {@code @LeaderOnly} or {@code @DistributedLocked} method that Spring's proxy can never
 * intercept (static, private or final): the bean, the method, why, and what the annotation would
 * silently not do.
 */
class UninterceptedMethodFailureAnalyzer extends AbstractFailureAnalyzer<UninterceptedMethodException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, UninterceptedMethodException cause) {
		String method = cause.getMethod().getDeclaringClass().getName() + "." + cause.getMethod().getName() + "()";
		BeanCreationException creation = BeanCreationFailures.innermostCreation(rootFailure, cause);
		String bean = (creation != null && creation.getBeanName() != null) ? " of bean '" + creation.getBeanName() + "'"
				: "";
		String description = cause.getAnnotation() + " method " + method + bean + " is " + cause.getReason()
				+ ". Spring AOP cannot intercept such a method, so the annotation would be ignored without a word and"
				+ " every call would " + cause.getConsequence() + ".";
		String action = "Make " + method + " a public (or protected) method that is neither static nor final, in a"
				+ " class that is not final, and call it through the bean rather than from the same class.";
		return new FailureAnalysis(description, action, cause);
	}


}
