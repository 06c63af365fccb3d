package dev.coordination.session;

import java.time.Duration;

/**
 * One etcd lease per application instance, kept alive for as long as the instance runs: the
 * lifetime of its leadership, locks and service registrations.
 * <p>
 * The session keeps a local, monotonic deadline: the instant the request behind the last
 * acknowledged keep-alive was sent, plus the TTL, minus the safety margin. etcd cannot expire the
 * lease before {@code sent + TTL}, so while the deadline has not passed the lease is provably alive
 * (given a clock drift between this host and etcd smaller than the margin). {@link #isValid()}
 * answers from that deadline without any etcd call: a caller that was paused by GC or cut off
 * learns the truth the next time it asks, even before any event arrives.
 * <p>
 * When the deadline passes or etcd reports the lease gone, the session asks for a new lease until
 * etcd answers; {@link SessionListener}s hear of both, on the event thread. Thread-safe.
 */
public interface CoordinationSession {

	/**
	 * Whether the session's lease is provably alive now.
	 * @return {@code true} until the local deadline passes or the lease is known to be gone
	 */
	boolean isValid();

	/**
	 * Whether {@code leaseId} is the session's current lease and it is provably alive now. Use it
	 * to check that work started under a lease may still go on.
	 * @param leaseId a lease id, from {@link #leaseId()} or an event
	 * @return {@code true} when that lease is current and valid
	 */
	boolean isValid(long leaseId);

	/**
	 * Current lease id.
	 * @return the lease id, or {@code 0} while the session has no valid lease
	 */
	long leaseId();

	/**
	 * Time left until the local deadline.
	 * @return the time left, {@link Duration#ZERO} when the session is not valid
	 */
	Duration timeLeft();

	/**
	 * A snapshot of the session for health and diagnostics.
	 * @return the snapshot
	 */
	SessionInfo info();

	/**
	 * Register a listener of losses and renewals (beans of type {@link SessionListener} are
	 * registered automatically).
	 * @param listener the listener
	 */
	void addListener(SessionListener listener);

	/**
	 * Unregister a listener.
	 * @param listener the listener
	 */
	void removeListener(SessionListener listener);

}
