package dev.coordination.etcd;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when etcd cannot be reached, has no leader, or the client was closed.
 */
public class EtcdUnavailableException extends EtcdAccessException {

	public EtcdUnavailableException(String operation, String message, @Nullable Throwable cause) {
		super(operation, message, cause);
	}

}
