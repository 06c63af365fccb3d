package dev.coordination.session;

/**
 * Why a session lost its lease.
 */
public enum SessionLossReason {

	/**
	 * No keep-alive was acknowledged in time: the local deadline passed, so the lease may expire
	 * on etcd at any moment (etcd unreachable, paused, partitioned, or this process paused).
	 */
	DEADLINE_PASSED,

	/**
	 * etcd said the lease no longer exists: it expired or was revoked.
	 */
	LEASE_GONE

}
