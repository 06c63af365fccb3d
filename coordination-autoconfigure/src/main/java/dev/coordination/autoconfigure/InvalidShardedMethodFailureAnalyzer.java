package dev.coordination.autoconfigure;

import dev.coordination.shard.internal.InvalidShardedMethodException;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a {@code @ShardedBy} method that cannot run per shard: the bean, the method, what is
 * wrong (an unknown workload, a parameter that is not the shard number, an unsupported return
 * type) and what would be valid.
 */
class InvalidShardedMethodFailureAnalyzer extends AbstractFailureAnalyzer<InvalidShardedMethodException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidShardedMethodException cause) {
		BeanCreationException creation = BeanCreationFailures.innermostCreation(rootFailure, cause);
		String bean = (creation != null && creation.getBeanName() != null) ? " of bean '" + creation.getBeanName() + "'"
				: "";
		String description = "@ShardedBy method " + InvalidShardedMethodException.describe(cause.getMethod()) + bean
				+ " " + cause.getProblem() + ".";
		return new FailureAnalysis(description, cause.getAction() + ".", cause);
	}

}
