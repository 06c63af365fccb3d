package dev.coordination.etcd;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when a call did not complete within its bound ({@code coordination.etcd.request-timeout}
 * unless the caller gave another).
 * <p>
 * The outcome is unknown: a write that timed out may still be applied by etcd later. Where the
 * client cannot connect to etcd when the call times out, the message says so ("etcd at host:port
 * refused the connection"); the outcome is unknown then too, since the connection may have failed
 * after the request went out.
 */
public class EtcdTimeoutException extends EtcdAccessException {

	private final Duration timeout;

	public EtcdTimeoutException(String operation, Duration timeout, Throwable cause) {
		this(operation, timeout, null, cause);
	}

	/**
	 * Create an instance.
	 * @param operation the operation that timed out
	 * @param timeout the bound that was exceeded
	 * @param property the property that set the bound, named in the message, or {@code null}
	 * @param cause the cause
	 */
	public EtcdTimeoutException(String operation, Duration timeout, @Nullable String property, Throwable cause) {
		super(operation, "no answer within " + timeout.toMillis() + " ms"
				+ ((property != null) ? " (" + property + ")" : "") + "; the outcome is unknown", cause);
		this.timeout = timeout;
	}

	/**
	 * Create an instance that says why there was no answer.
	 * @param operation the operation that timed out
	 * @param timeout the bound that was exceeded
	 * @param property the property that set the bound, named in the message, or {@code null}
	 * @param why why there was no answer, for example "etcd at 127.0.0.1:2379 refused the
	 * connection"
	 * @param cause the cause
	 */
	public EtcdTimeoutException(String operation, Duration timeout, @Nullable String property, String why,
			Throwable cause) {
		// the connection may have failed after the request went out: a write may still be applied
		super(operation, why + " (no answer within " + timeout.toMillis() + " ms"
				+ ((property != null) ? ", " + property : "") + "; the outcome is unknown)", cause);
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
