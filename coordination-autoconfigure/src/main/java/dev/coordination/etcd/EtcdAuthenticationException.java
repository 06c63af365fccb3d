package dev.coordination.etcd;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when etcd rejects the credentials or the user lacks permission for a key.
 */
public class EtcdAuthenticationException extends EtcdAccessException {

	public EtcdAuthenticationException(String operation, String message, @Nullable Throwable cause) {
		super(operation, message, cause);
	}

}
