package dev.coordination.lock;

/**
 * Hears when a lock, read or write hold, or semaphore permit held by this instance is lost with its
 * session. Beans of this type are registered automatically; {@link DistributedLockRegistry#addListener}
 * adds others.
 * <p>
 * Called on the starter's event thread, {@code coordination-events}, one event at a time, never on
 * the thread that keeps the session alive; the same events are published as Spring application
 * events. The holder itself learns of the loss without a listener: {@code isHeldByCurrentThread()}
 * answers {@code false} at once, fenced writes are rejected, and {@code unlock()} throws
 * {@link LockLostException}.
 */
@FunctionalInterface
public interface LockListener {

	/**
	 * A hold of this instance was lost.
	 * @param event what was held, with its key, kind and fencing token, and why it was lost
	 */
	void lost(LockLostEvent event);

}
