package dev.coordination.session;

import org.springframework.context.ApplicationEvent;

/**
 * Published when the session was granted a new lease after losing one.
 */
public class SessionRenewedEvent extends ApplicationEvent {

	private final long leaseId;

	/**
	 * Create the event.
	 * @param session the session
	 * @param leaseId the new lease
	 */
	public SessionRenewedEvent(CoordinationSession session, long leaseId) {
		super(session);
		this.leaseId = leaseId;
	}

	/**
	 * The new lease.
	 * @return its id
	 */
	public long getLeaseId() {
		return this.leaseId;
	}

	@Override
	public String toString() {
		return "SessionRenewedEvent[lease=" + Long.toHexString(this.leaseId) + "]";
	}

}
