package dev.coordination.etcd;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when etcd no longer knows the object a call refers to, typically an expired or revoked
 * lease.
 */
public class EtcdNotFoundException extends EtcdAccessException {

	public EtcdNotFoundException(String operation, String message, @Nullable Throwable cause) {
		super(operation, message, cause);
	}

}
