package dev.coordination.lock;

/**
 * Thrown by {@link DistributedLock#unlock()} when the lock was lost while held: the session it
 * lived on could no longer be proved alive, so another instance may have held it meanwhile.
 * Work done under it since the loss must be treated as unprotected.
 */
public class LockLostException extends IllegalMonitorStateException {

	public LockLostException(String key, long token) {
		super("Lock '" + key + "' (token " + token + ") was lost while held: its session lease could no longer be"
				+ " proved alive; another instance may have held it since");
	}

}
