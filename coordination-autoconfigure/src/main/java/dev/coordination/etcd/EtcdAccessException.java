package dev.coordination.etcd;

import org.jspecify.annotations.Nullable;

/**
 * Root of the exceptions thrown when a call to etcd fails, whatever jetcd or gRPC reported.
 * <p>
 * Subclasses say why: {@link EtcdTimeoutException}, {@link EtcdUnavailableException},
 * {@link EtcdAuthenticationException}, {@link EtcdNotFoundException},
 * {@link EtcdCompactedException} and {@link EtcdInterruptedException}. The message always names the
 * operation that failed.
 */
public class EtcdAccessException extends RuntimeException {

	private final String operation;

	public EtcdAccessException(String operation, String message, @Nullable Throwable cause) {
		super("etcd " + operation + " failed: " + message, cause);
		this.operation = operation;
	}

	/**
	 * Operation that failed, for example {@code put /config/app/x}.
	 * @return the operation
	 */
	public String getOperation() {
		return this.operation;
	}

}
