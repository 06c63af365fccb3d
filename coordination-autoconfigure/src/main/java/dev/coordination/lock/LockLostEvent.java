package dev.coordination.lock;

import dev.coordination.session.SessionLossReason;

import org.springframework.context.ApplicationEvent;

/**
 * Published when a lock, read or write hold, or semaphore permit held by this instance is lost
 * with the session lease it lived on.
 */
public class LockLostEvent extends ApplicationEvent {

	private final HeldLock lock;

	private final SessionLossReason reason;

	/**
	 * Create the event.
	 * @param source the registry the hold came from
	 * @param lock what was held
	 * @param reason why the session lost its lease
	 */
	public LockLostEvent(DistributedLockRegistry source, HeldLock lock, SessionLossReason reason) {
		super(source);
		this.lock = lock;
		this.reason = reason;
	}

	/**
	 * What was held: key, kind, fencing token, since when.
	 * @return the hold
	 */
	public HeldLock getLock() {
		return this.lock;
	}

	/**
	 * Why the session lost the lease the hold lived on.
	 * @return the reason
	 */
	public SessionLossReason getReason() {
		return this.reason;
	}

	@Override
	public String toString() {
		return "LockLostEvent[" + this.lock.kind() + " '" + this.lock.key() + "', token=" + this.lock.token()
				+ ", reason=" + this.reason + "]";
	}

}
