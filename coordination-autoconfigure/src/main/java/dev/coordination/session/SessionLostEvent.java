package dev.coordination.session;

import org.springframework.context.ApplicationEvent;

/**
 * Published when the session loses its lease: no keep-alive was acknowledged before the local
 * safety deadline, or etcd said the lease is gone.
 */
public class SessionLostEvent extends ApplicationEvent {

	private final long leaseId;

	private final SessionLossReason reason;

	/**
	 * Create the event.
	 * @param session the session
	 * @param leaseId the lost lease
	 * @param reason why it was lost
	 */
	public SessionLostEvent(CoordinationSession session, long leaseId, SessionLossReason reason) {
		super(session);
		this.leaseId = leaseId;
		this.reason = reason;
	}

	/**
	 * The lost lease.
	 * @return its id
	 */
	public long getLeaseId() {
		return this.leaseId;
	}

	/**
	 * Why the lease was lost.
	 * @return the reason
	 */
	public SessionLossReason getReason() {
		return this.reason;
	}

	@Override
	public String toString() {
		return "SessionLostEvent[lease=" + Long.toHexString(this.leaseId) + ", reason=" + this.reason + "]";
	}

}
