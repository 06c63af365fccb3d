package dev.coordination.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanCreationException;

/**
 * What the starter's failure analyzers share about a failed bean creation.
 */
final class BeanCreationFailures {

	private BeanCreationFailures() {
	}

	/**
	 * The bean whose creation found {@code cause}, not a bean that depends on it: the innermost
	 * {@link BeanCreationException} between {@code failure} and {@code cause}.
	 * @param failure the failure start-up ended with
	 * @param cause the starter's exception within it
	 * @return the innermost creation failure, or {@code null} when there is none
	 */
	static @Nullable BeanCreationException innermostCreation(Throwable failure, Throwable cause) {
		BeanCreationException innermost = null;
		for (Throwable candidate = failure; candidate != null && candidate != cause; candidate = candidate.getCause()) {
			if (candidate instanceof BeanCreationException creation) {
				innermost = creation;
			}
		}
		return innermost;
	}

}
