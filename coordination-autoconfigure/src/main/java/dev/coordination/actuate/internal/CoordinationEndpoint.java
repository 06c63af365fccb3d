package dev.coordination.actuate.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderTerm;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdNotFoundException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.LeaseStatus;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.FailureDescription;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.internal.EtcdLockRegistry;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionInfo;
import dev.coordination.shard.internal.EtcdShardedWorkload;
import dev.coordination.shard.internal.EtcdShardedWorkloads;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * {@code /actuator/coordination}: what this instance holds and sees, in one place, from local state
 * (one etcd call excepted, see below): the session, every election, every sharded workload, the locks it holds, its
 * registration and the services it sees, and the configuration imported from etcd. A capability that is off is left
 * out, as are values that do not exist (like the lease of a lost session).
 * <p>
 * One etcd call is made: the session's lease as etcd sees it (remaining TTL and attached keys),
 * bounded by {@value #LEASE_READ_TIMEOUT_MILLIS} ms at most (less when the request timeout is
 * shorter). When it fails, the session's {@code lease} says why in words and everything else is
 * shown as usual. Health indicators never make this call.
 */
@Endpoint(id = "coordination")
public class CoordinationEndpoint {

	/**
	 * Upper bound of the read of the session's lease, in milliseconds.
	 */
	static final long LEASE_READ_TIMEOUT_MILLIS = 1000;

	/**
	 * How many of the lease's keys are listed; {@code keyCount} counts them all.
	 */
	static final int MAX_LEASE_KEYS = 100;

	private final @Nullable CoordinationSession session;

	private final @Nullable LeaderElections elections;

	private final @Nullable EtcdShardedWorkloads shards;

	private final @Nullable EtcdLockRegistry locks;

	private final @Nullable ServiceDiscovery discovery;

	private final @Nullable EtcdServiceRegistration registration;

	private final @Nullable EtcdConfigState config;

	private final @Nullable EtcdTemplate etcd;

	/**
	 * Create the endpoint; every argument may be {@code null} when its capability is off.
	 * @param session the session
	 * @param elections the elections
	 * @param shards the sharded workloads
	 * @param locks the lock registry
	 * @param discovery the service catalog
	 * @param registration this instance's registration
	 * @param config the configuration imported from etcd
	 */
	public CoordinationEndpoint(@Nullable CoordinationSession session, @Nullable LeaderElections elections,
			@Nullable EtcdShardedWorkloads shards, @Nullable EtcdLockRegistry locks, @Nullable ServiceDiscovery discovery,
			@Nullable EtcdServiceRegistration registration, @Nullable EtcdConfigState config) {
		this(session, elections, shards, locks, discovery, registration, config, null);
	}

	/**
	 * Create the endpoint; every argument may be {@code null} when its capability is off.
	 * @param session the session
	 * @param elections the elections
	 * @param shards the sharded workloads
	 * @param locks the lock registry
	 * @param discovery the service catalog
	 * @param registration this instance's registration
	 * @param config the configuration imported from etcd
	 * @param etcd the template the session's lease is read through; without it the session shows no
	 * {@code lease}
	 */
	public CoordinationEndpoint(@Nullable CoordinationSession session, @Nullable LeaderElections elections,
			@Nullable EtcdShardedWorkloads shards, @Nullable EtcdLockRegistry locks, @Nullable ServiceDiscovery discovery,
			@Nullable EtcdServiceRegistration registration, @Nullable EtcdConfigState config,
			@Nullable EtcdTemplate etcd) {
		this.session = session;
		this.elections = elections;
		this.shards = shards;
		this.locks = locks;
		this.discovery = discovery;
		this.registration = registration;
		this.config = config;
		this.etcd = etcd;
	}

	@ReadOperation
	public CoordinationDescriptor coordination() {
		return new CoordinationDescriptor(session(), elections(), shards(), locks(), discovery(), config());
	}

	private @Nullable Session session() {
		if (this.session == null) {
			return null;
		}
		SessionInfo info = this.session.info();
		return new Session(info.valid(), info.leaseHex().isEmpty() ? null : info.leaseHex(), info.ttl().toString(),
				info.safetyMargin().toString(), info.timeLeft().toString(), info.grantedAt(),
				(info.lastLossReason() != null) ? info.lastLossReason().name() : null, info.lastError(),
				lease(info.leaseId()));
	}

	private @Nullable SessionLease lease(long leaseId) {
		EtcdTemplate etcd = this.etcd;
		if (etcd == null || leaseId == 0) {
			return null;
		}
		Duration limit = Duration.ofMillis(LEASE_READ_TIMEOUT_MILLIS);
		Duration timeout = (etcd.getRequestTimeout().compareTo(limit) < 0) ? etcd.getRequestTimeout() : limit;
		try {
			LeaseStatus status = etcd.leaseStatus(leaseId, timeout);
			List<String> keys = status.keys();
			return new SessionLease(status.remaining().toString(), status.granted().toString(), keys.size(),
					(keys.size() > MAX_LEASE_KEYS) ? keys.subList(0, MAX_LEASE_KEYS) : keys, null);
		}
		catch (EtcdNotFoundException ex) {
			// the session has not noticed yet: its next keep-alive will, and it asks for a new lease
			return SessionLease.failed("etcd has no lease " + EtcdKeys.leaseHex(leaseId)
					+ " any more: it expired or was revoked");
		}
		catch (EtcdAccessException ex) {
			return SessionLease.failed("could not read the lease from etcd: " + FailureDescription.describe(ex, etcd));
		}
	}

	private @Nullable List<Election> elections() {
		if (this.elections == null) {
			return null;
		}
		List<Election> elections = new ArrayList<>();
		for (LeaderElection election : this.elections.elections()) {
			LeaderTerm term = election.currentTerm().orElse(null);
			Candidate leader = election.leader().orElse(null);
			Long token = (term != null) ? Long.valueOf(term.token()) : (leader != null) ? Long.valueOf(leader.token())
					: null;
			List<InLine> candidates = election.candidates()
				.stream()
				.map((candidate) -> new InLine(candidate.instanceId(), candidate.address(), candidate.token()))
				.toList();
			elections.add(new Election(election.name(), term != null,
					(leader != null) ? leader.instanceId() : null, (leader != null) ? leader.address() : null, token,
					(term != null) ? term.since() : null, candidates));
		}
		elections.sort(Comparator.comparing(Election::name));
		return elections;
	}

	private @Nullable List<Workload> shards() {
		if (this.shards == null) {
			return null;
		}
		List<Workload> workloads = new ArrayList<>();
		for (EtcdShardedWorkload workload : this.shards.all()) {
			List<OwnedShard> owned = new ArrayList<>();
			for (int shard : workload.ownedShards()) {
				OptionalLong token = workload.fencingToken(shard);
				// given up since: left out
				if (token.isPresent()) {
					owned.add(new OwnedShard(shard, token.getAsLong()));
				}
			}
			List<Member> members = workload.members()
				.stream()
				.map((member) -> new Member(member.instanceId(), member.weight(), member.count()))
				.toList();
			workloads.add(new Workload(workload.name(), workload.shardCount(), workload.weight(),
					workload.settleDelay().toString(), owned, workload.owners(), members,
					workload.standingAside().orElse(null)));
		}
		workloads.sort(Comparator.comparing(Workload::name));
		return workloads;
	}

	private @Nullable List<Lock> locks() {
		if (this.locks == null) {
			return null;
		}
		return this.locks.heldLocks()
			.stream()
			.sorted(Comparator.comparing(HeldLock::key))
			.map((held) -> new Lock(held.key(), held.kind().name(), held.token(), held.since(), held.waitingThreads()))
			.toList();
	}

	private @Nullable Discovery discovery() {
		if (this.discovery == null) {
			return null;
		}
		Registration registration = null;
		if (this.registration != null) {
			ServiceRecord record = this.registration.registration().orElse(null);
			boolean registered = this.registration.isRegistered();
			registration = new Registration(registered, (record != null) ? record.serviceId() : null,
					(record != null) ? record.instanceId() : null, (record != null) ? record.uri().toString() : null,
					(record != null) ? record.status().name() : null,
					registered ? EtcdKeys.leaseHex(this.registration.lease()) : null,
					this.registration.lastError().orElse(null));
		}
		Map<String, List<Instance>> services = new LinkedHashMap<>();
		for (String service : this.discovery.services()) {
			services.put(service, this.discovery.allInstances(service)
				.stream()
				.map((record) -> new Instance(record.instanceId(), record.uri().toString(), record.status().name(),
						record.zone()))
				.toList());
		}
		return new Discovery(this.discovery.revision(), registration, services);
	}

	private @Nullable Config config() {
		if (this.config == null) {
			return null;
		}
		return new Config(this.config.state(), this.config.revision(), this.config.contexts(),
				this.config.lastRefresh().orElse(null), this.config.staleSince().orElse(null),
				this.config.lastError().orElse(null), this.config.lastErrorAt().orElse(null));
	}

	/**
	 * Everything the endpoint shows.
	 * @param session the session
	 * @param elections the elections, by name
	 * @param shards the sharded workloads, by name
	 * @param locks the locks, read and write holds and permits this instance holds
	 * @param discovery this instance's registration and the services it sees
	 * @param config the configuration imported from etcd
	 */
	public record CoordinationDescriptor(@Nullable Session session, @Nullable List<Election> elections,
			@Nullable List<Workload> shards, @Nullable List<Lock> locks, @Nullable Discovery discovery, @Nullable Config config)
			implements OperationResponseBody {

	}

	/**
	 * The session.
	 * @param valid whether it is valid
	 * @param leaseId its lease, as etcdctl shows it
	 * @param ttl the lease's TTL, ISO-8601 as in the health component
	 * @param safetyMargin how long before etcd could expire the lease the instance steps down
	 * @param timeLeft until that local deadline
	 * @param grantedAt when the lease was granted
	 * @param lastLossReason why it was last lost
	 * @param lastError the last error talking to etcd
	 * @param lease the lease as etcd sees it, read when the endpoint is called; {@code null} when
	 * there is no lease
	 */
	public record Session(boolean valid, @Nullable String leaseId, String ttl, String safetyMargin, String timeLeft,
			@Nullable Instant grantedAt, @Nullable String lastLossReason, @Nullable String lastError,
			@Nullable SessionLease lease) {

	}

	/**
	 * The session's lease as etcd sees it: either what etcd answered, or {@code error}.
	 * @param remaining how long etcd keeps the lease without a keep-alive, ISO-8601, rounded down to
	 * seconds by etcd
	 * @param granted the TTL etcd granted, ISO-8601
	 * @param keyCount how many keys are attached to the lease
	 * @param keys the first {@value CoordinationEndpoint#MAX_LEASE_KEYS} of them, sorted
	 * @param error why the lease could not be read, or that etcd no longer has it
	 */
	public record SessionLease(@Nullable String remaining, @Nullable String granted, @Nullable Integer keyCount,
			@Nullable List<String> keys, @Nullable String error) {

		static SessionLease failed(String error) {
			return new SessionLease(null, null, null, null, error);
		}

	}

	/**
	 * One election.
	 * @param name its name
	 * @param leading whether this instance leads it
	 * @param leader the instance id of the leader, {@code null} when none is known
	 * @param leaderAddress the leader's {@code host:port}
	 * @param token the fencing token of the leader's term (this instance's when it leads)
	 * @param since since when this instance leads, only while it does
	 * @param candidates every candidate in line, the leader first, as this instance last saw them
	 */
	public record Election(String name, boolean leading, @Nullable String leader, @Nullable String leaderAddress,
			@Nullable Long token, @Nullable Instant since, List<InLine> candidates) {

	}

	/**
	 * A candidate of an election, in line.
	 * @param instanceId its instance id
	 * @param address its {@code host:port}, or the instance id when it gave no address
	 * @param token the create revision of its election key: the fencing token it leads with
	 */
	public record InLine(String instanceId, String address, long token) {

	}

	/**
	 * A sharded workload.
	 * @param name its name
	 * @param count its number of shards here
	 * @param weight this instance's weight
	 * @param settleDelay how long the members must stay unchanged before shards move, ISO-8601
	 * @param owned the shards this instance owns, with their fencing tokens
	 * @param owners the instance id owning each shard, as this instance sees them; a shard without an
	 * owner is left out
	 * @param members the instances taking part, oldest first
	 * @param standingAside why this instance owns none of the shards although it takes part (its
	 * count differs from the one in force), {@code null} when it takes part normally
	 */
	public record Workload(String name, int count, int weight, String settleDelay, List<OwnedShard> owned,
			Map<Integer, String> owners, List<Member> members, @Nullable String standingAside) {

	}

	/**
	 * A shard this instance owns.
	 * @param shard its number
	 * @param token the fencing token of the ownership
	 */
	public record OwnedShard(int shard, long token) {

	}

	/**
	 * An instance taking part in a sharded workload, as its member key shows it.
	 * @param instanceId its instance id
	 * @param weight its weight
	 * @param count the shard count it is configured with
	 */
	public record Member(String instanceId, int weight, int count) {

	}

	/**
	 * A lock, read or write hold, or permit this instance holds.
	 * @param key its key (name)
	 * @param kind {@code LOCK}, {@code READ}, {@code WRITE} or {@code PERMIT}
	 * @param token its fencing token
	 * @param since since when it is held
	 * @param waitingThreads threads of this instance waiting for it
	 */
	public record Lock(String key, String kind, long token, Instant since, int waitingThreads) {

	}

	/**
	 * Service discovery.
	 * @param catalogRevision the etcd revision the catalog is current to
	 * @param registration this instance's registration, {@code null} when it does not register
	 * @param services every service and its instances
	 */
	public record Discovery(long catalogRevision, @Nullable Registration registration,
			Map<String, List<Instance>> services) {

	}

	/**
	 * This instance's registration.
	 * @param registered whether its record is in etcd
	 * @param serviceId its service
	 * @param instanceId its instance id
	 * @param uri where it is reached
	 * @param status its published status
	 * @param leaseId the lease of the record
	 * @param lastError the last error writing it
	 */
	public record Registration(boolean registered, @Nullable String serviceId, @Nullable String instanceId,
			@Nullable String uri, @Nullable String status, @Nullable String leaseId, @Nullable String lastError) {

	}

	/**
	 * An instance of a service.
	 * @param instanceId its id
	 * @param uri where it is reached
	 * @param status its status
	 * @param zone its zone
	 */
	public record Instance(String instanceId, String uri, String status, @Nullable String zone) {

	}

	/**
	 * The configuration imported from etcd.
	 * @param state {@code live}, {@code stale} (cut off from etcd, last values kept), {@code waiting}
	 * (not read yet) or {@code static} (not watched)
	 * @param revision the revision in the {@code Environment}
	 * @param contexts the contexts, in increasing precedence
	 * @param lastRefresh when it last changed
	 * @param staleSince since when it is stale
	 * @param lastError the last change not applied, and why
	 * @param lastErrorAt when
	 */
	public record Config(String state, long revision, List<String> contexts, @Nullable Instant lastRefresh,
			@Nullable Instant staleSince, @Nullable String lastError, @Nullable Instant lastErrorAt) {

	}

}
