package dev.coordination.etcd.internal;

/**
 * Names of every meter the starter registers, in one place. Tags are always bounded (a reason,
 * an outcome, an election or lock name), never a per-call key.
 */
public final class CoordinationMeterNames {

	/**
	 * Timer of keep-alive round trips of the session lease; tag {@code outcome}: {@code success}
	 * or {@code failure}.
	 */
	public static final String SESSION_KEEPALIVE = "coordination.session.keepalive";

	/**
	 * Counter of session losses; tag {@code reason}: {@code deadline_passed} or {@code lease_gone}.
	 */
	public static final String SESSION_LOSSES = "coordination.session.losses";

	/**
	 * Counter of leases granted after a loss.
	 */
	public static final String SESSION_RENEWALS = "coordination.session.renewals";

	/**
	 * Gauge of the time left, in seconds, until the session's local safety deadline; 0 while lost.
	 */
	public static final String SESSION_TIME_LEFT = "coordination.session.time.left";

	/**
	 * Gauge: 1 while the session is valid, 0 while it is lost.
	 */
	public static final String SESSION_VALID = "coordination.session.valid";

	/**
	 * Gauge: 1 while this instance leads the election, else 0; tag {@code election}.
	 */
	public static final String ELECTION_LEADER = "coordination.election.leader";

	/**
	 * Counter of leadership transitions; tags {@code election} and {@code reason}: {@code granted},
	 * {@code resigned}, {@code session_lost}, {@code shutdown}, {@code key_deleted}.
	 */
	public static final String ELECTION_TRANSITIONS = "coordination.election.transitions";

	/**
	 * Timer of terms of leadership, recorded when a term ends; tag {@code election}.
	 */
	public static final String ELECTION_TENURE = "coordination.election.tenure";

	/**
	 * Observation of lock acquisitions: a timer, and {@code .active} for those in flight, through
	 * Boot's observation handlers; tags {@code lock} (the name) and {@code outcome}:
	 * {@code acquired}, {@code timeout}, {@code error}.
	 */
	public static final String LOCK_ACQUIRE = "coordination.lock.acquire";

	/**
	 * Timer of how long locks were held; tag {@code lock}.
	 */
	public static final String LOCK_HELD = "coordination.lock.held";

	/**
	 * Counter of acquisitions that timed out; tag {@code lock}.
	 */
	public static final String LOCK_TIMEOUTS = "coordination.lock.timeouts";

	/**
	 * Counter of locks lost while held; tag {@code lock}.
	 */
	public static final String LOCK_LOSSES = "coordination.lock.losses";

	/**
	 * Gauge of the shards of a workload this instance owns; tag {@code workload}.
	 */
	public static final String SHARD_OWNED = "coordination.shard.owned";

	/**
	 * Counter of rebalances: new memberships of a workload this instance applied after its first;
	 * tag {@code workload}.
	 */
	public static final String SHARD_REBALANCES = "coordination.shard.rebalances";

	/**
	 * Timer of how long a shard had no owner, as this instance saw it, before this instance took
	 * it; tag {@code workload}.
	 */
	public static final String SHARD_UNOWNED = "coordination.shard.unowned";

	/**
	 * Counter of shards this instance gave up or lost; tags {@code workload} and {@code reason}:
	 * {@code rebalanced}, {@code shutdown}, {@code session_lost}, {@code key_deleted}.
	 */
	public static final String SHARD_REVOCATIONS = "coordination.shard.revocations";

	private CoordinationMeterNames() {
	}

	/**
	 * Gauge of the instances of a service that are UP, as this instance sees them (tag
	 * {@code service}).
	 */
	public static final String DISCOVERY_INSTANCES = "coordination.discovery.instances";

	/**
	 * Counter of writes of this instance's registration (tag {@code outcome}: {@code success},
	 * {@code failure}).
	 */
	public static final String DISCOVERY_REGISTRATIONS = "coordination.discovery.registrations";

	/**
	 * Counter of service records skipped because they are not valid registrations.
	 */
	public static final String DISCOVERY_SKIPPED_RECORDS = "coordination.discovery.skipped.records";

	/**
	 * Counter of refreshes of the configuration from etcd (tag {@code outcome}: {@code applied},
	 * {@code rejected} when a document or value was kept at its last good state, {@code failed}).
	 */
	public static final String CONFIG_REFRESHES = "coordination.config.refreshes";

	/**
	 * Timer from receiving a change from etcd to the {@code Environment} updated.
	 */
	public static final String CONFIG_REFRESH_LATENCY = "coordination.config.refresh.latency";

	/**
	 * Gauge of the etcd revision of the configuration in the {@code Environment}.
	 */
	public static final String CONFIG_REVISION = "coordination.config.revision";

}
