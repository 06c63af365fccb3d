package dev.coordination.etcd;

/**
 * Thrown when etcd rejects the credentials or the user lacks permission for a key.
 */
public class EtcdAuthenticationException extends EtcdAccessException {

	public EtcdAuthenticationException(String operation, String message, Throwable cause) {
		super(operation, message, cause);
	}

}
