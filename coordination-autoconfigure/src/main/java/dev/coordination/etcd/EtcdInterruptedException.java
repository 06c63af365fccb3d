package dev.coordination.etcd;

/**
 * Thrown when the calling thread was interrupted while it waited for etcd.
 * <p>
 * The thread's interrupt flag is set again before this is thrown.
 */
public class EtcdInterruptedException extends EtcdAccessException {

	public EtcdInterruptedException(String operation, InterruptedException cause) {
		super(operation, "interrupted while waiting for etcd", cause);
	}

}
