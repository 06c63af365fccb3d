package dev.coordination.etcd;

import java.time.Duration;

/**
 * Thrown when a call did not complete within its bound ({@code coordination.etcd.request-timeout}
 * unless the caller gave another).
 * <p>
 * The outcome is unknown: a write that timed out may still be applied by etcd later.
 */
public class EtcdTimeoutException extends EtcdAccessException {

	private final Duration timeout;

	public EtcdTimeoutException(String operation, Duration timeout, Throwable cause) {
		super(operation, "no answer within " + timeout.toMillis()
				+ " ms (coordination.etcd.request-timeout); a write may still be applied later", cause);
		this.timeout = timeout;
	}

	/**
	 * Bound that was exceeded.
	 * @return the timeout
	 */
	public Duration getTimeout() {
		return this.timeout;
	}

}
