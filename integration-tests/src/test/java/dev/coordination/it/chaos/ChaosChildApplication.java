package dev.coordination.it.chaos;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.coordination.config.ConfigChangedEvent;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderContext;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.election.RevocationReason;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.process.ChildSide;
import dev.coordination.it.process.ShardWorker;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.LockLostException;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionListener;
import dev.coordination.session.SessionLostEvent;
import dev.coordination.session.SessionRenewedEvent;
import dev.coordination.shard.ShardedWorkloads;
import io.etcd.jetcd.KeyValue;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;

/**
 * An application instance run as a child JVM by {@link ChaosIT}, using every capability of the
 * starter at once, and reporting on stdout one machine-readable line per event
 * ({@code System.nanoTime()} is one clock for all processes of a Linux host):
 * <ul>
 * <li>{@code READY <instanceId> <pid> <chaos.value>} once it is registered in service discovery
 * (service {@code chaos}, instance id {@code <instanceId>}), with the configuration value it
 * started with;</li>
 * <li>election {@code default}: {@code GRANTED <token> <nanoTime>}, {@code REVOKED <token> <reason>
 * <nanoTime>}; while it leads, a {@code @LeaderOnly} job works {@value #WORK_MILLIS} ms under its term,
 * checks {@link LeaderContext#isStillLeader()} (the session's local deadline) and writes
 * {@value #FENCE_KEY} in a transaction fenced by its election key: {@code FENCED-OK <token> <seq>
 * <revision> <claimNanos>}, {@code FENCED-REJECTED <token> <seq> <claimNanos>} or
 * {@code FENCED-FAILED <token> <seq> <error>}, where {@code claimNanos} is the instant the leadership
 * check passed ({@code 0} when it did not: the write is made anyway, as a paused leader would);</li>
 * <li>after each revocation, once its election shows a newer leader, one deliberate write with the
 * revoked term's token: {@code STALE-REJECTED <token>}, {@code STALE-OK <token> <revision>} or
 * {@code STALE-UNKNOWN <token> <why>};</li>
 * <li>lock {@value #LOCK}: increments of {@value #COUNTER_KEY}, each written by
 * {@link DistributedLock#fencedWrite} together with a record {@value #RECORDS}{@code <instanceId>-<seq>}
 * holding the new value: {@code INC <token> <value> <revision>}, {@code INC-REJECTED <token> <value>},
 * {@code INC-FAILED <token> <seq> <error>} (indeterminate: the record tells), and
 * {@code LOCK-LOST <token> <nanoTime>} from the lock listener;</li>
 * <li>configuration: {@code CONFIG <value> <revision> <nanoTime>} for each {@link ConfigChangedEvent}
 * changing {@code chaos.value};</li>
 * <li>session: {@code SESSION-LOST <leaseHex> <reason> <nanoTime>} and {@code SESSION-GRANTED <leaseHex>
 * <nanoTime>};</li>
 * <li>sharded workload {@value #SHARD_WORKLOAD} ({@code coordination.shards.chaos-work.count}, set by
 * the test): a {@link ShardWorker} works on each shard it owns, records its intervals under
 * {@value #SHARD_PREFIX} with fenced writes and prints its {@code SHARD-*} and {@code WORK-*}
 * lines.</li>
 * </ul>
 * The child exits when its stdin reaches end of file, so that it does not outlive the test JVM.
 */
@SpringBootApplication(proxyBeanMethods = false)
public class ChaosChildApplication {

	static final String SERVICE = "chaos";

	static final String FENCE_KEY = "/chaos/fence";

	static final String LOCK = "chaos-counter";

	static final String COUNTER_KEY = "/chaos/counter";

	static final String RECORDS = "/chaos/increments/";

	static final String CONFIG_PROPERTY = "chaos.value";

	static final String CONFIG_KEY = "/config/" + SERVICE + "/chaos/value";

	static final long WORK_MILLIS = 100;

	static final long INCREMENT_PAUSE_MILLIS = 40;

	static final String SHARD_WORKLOAD = "chaos-work";

	static final String SHARD_PREFIX = "/chaos/shard-work/";

	static final long SHARD_WORK_MILLIS = 250;

	public static void main(String[] args) {
		ChildSide.exitWhenParentGone();
		SpringApplication application = new SpringApplication(ChaosChildApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		// every thread of the starter is a daemon: keep the JVM running until it is stopped
		application.setKeepAlive(true);
		application.run(args);
	}

	@Bean
	FencedWriter fencedWriter(EtcdTemplate etcd) {
		return new FencedWriter(etcd);
	}

	@Bean
	ShardWorker shardWorker(ShardedWorkloads workloads, EtcdTemplate etcd,
			@Value("${coordination.etcd.instance.id}") String instanceId) {
		return new ShardWorker(workloads.workload(SHARD_WORKLOAD), "/shards/" + SHARD_WORKLOAD + "/owners/", etcd,
				instanceId, SHARD_PREFIX, SHARD_WORK_MILLIS);
	}

	@Bean
	Reporter reporter(LeaderElections elections, FencedWriter writer, EtcdTemplate etcd,
			DistributedLockRegistry locks, CoordinationSession session, EtcdServiceRegistration registration,
			Environment environment, @Value("${coordination.etcd.instance.id}") String instanceId) {
		return new Reporter(elections.election(LeaderElection.DEFAULT), writer, etcd, locks, session, registration,
				environment, instanceId);
	}

	/**
	 * The leader's fenced job.
	 */
	public static class FencedWriter {

		private final EtcdTemplate etcd;

		private final AtomicLong sequence = new AtomicLong();

		FencedWriter(EtcdTemplate etcd) {
			this.etcd = etcd;
		}

		/**
		 * Work under the current term, then write guarded by the term's key.
		 * @return the sequence number of the write, empty when this instance does not lead
		 * @throws InterruptedException when interrupted while working
		 */
		@LeaderOnly
		public Optional<Long> workThenWrite() throws InterruptedException {
			LeaderTerm term = LeaderContext.currentTerm().orElseThrow();
			TimeUnit.MILLISECONDS.sleep(WORK_MILLIS);
			long seq = this.sequence.incrementAndGet();
			// the instant before the check: the session deadline only moves forward, so it held then
			long now = System.nanoTime();
			long claim = LeaderContext.isStillLeader() ? now : 0;
			try {
				WriteResult result = this.etcd.fencedWrite(term.key(), term.token(),
						FencedWrite.put(FENCE_KEY, term.token() + ":" + seq));
				if (result.applied()) {
					ChildSide.print("FENCED-OK " + term.token() + " " + seq + " " + result.revision() + " " + claim);
				}
				else {
					ChildSide.print("FENCED-REJECTED " + term.token() + " " + seq + " " + claim);
				}
			}
			catch (EtcdAccessException ex) {
				ChildSide.print("FENCED-FAILED " + term.token() + " " + seq + " " + ex.getClass().getSimpleName());
			}
			return Optional.of(seq);
		}

	}

	/**
	 * Drives the leader job and the increments, and prints every event.
	 */
	static class Reporter implements SessionListener {

		private final LeaderElection election;

		private final FencedWriter writer;

		private final EtcdTemplate etcd;

		private final DistributedLockRegistry locks;

		private final CoordinationSession session;

		private final EtcdServiceRegistration registration;

		private final Environment environment;

		private final String instanceId;

		private final Map<Long, LeaderTerm> terms = new ConcurrentHashMap<>();

		private volatile boolean started;

		Reporter(LeaderElection election, FencedWriter writer, EtcdTemplate etcd, DistributedLockRegistry locks,
				CoordinationSession session, EtcdServiceRegistration registration, Environment environment,
				String instanceId) {
			this.election = election;
			this.writer = writer;
			this.etcd = etcd;
			this.locks = locks;
			this.session = session;
			this.registration = registration;
			this.environment = environment;
			this.instanceId = instanceId;
			locks.addListener((event) -> ChildSide
				.print("LOCK-LOST " + event.getLock().token() + " " + System.nanoTime() + " " + event.getLock().key()));
		}

		@EventListener
		void granted(LeadershipGrantedEvent event) {
			this.terms.put(event.getToken(), event.getTerm());
			ChildSide.print("GRANTED " + event.getToken() + " " + System.nanoTime());
		}

		@EventListener
		void revoked(LeadershipRevokedEvent event) {
			ChildSide.print("REVOKED " + event.getToken() + " " + event.getReason() + " " + System.nanoTime());
			LeaderTerm term = event.getTerm();
			if (event.getReason() != RevocationReason.SHUTDOWN && term != null) {
				ChildSide.daemon("stale-writer", () -> staleWrite(term));
			}
		}

		@EventListener
		void configChanged(ConfigChangedEvent event) {
			ConfigChangedEvent.Change change = event.getChanges().get(CONFIG_PROPERTY);
			if (change != null) {
				String value = (change.newValue() != null) ? change.newValue() : "-";
				ChildSide.print("CONFIG " + value + " " + event.getRevision() + " " + System.nanoTime());
			}
		}

		@EventListener
		void readiness(AvailabilityChangeEvent<ReadinessState> event) {
			if (event.getState() != ReadinessState.ACCEPTING_TRAFFIC || this.started) {
				return;
			}
			this.started = true;
			this.session.addListener(this);
			ChildSide.daemon("child-ready", this::awaitRegisteredThenStart);
		}

		@Override
		public void renewed(SessionRenewedEvent event) {
			ChildSide.print("SESSION-GRANTED " + Long.toHexString(event.getLeaseId()) + " " + System.nanoTime());
		}

		@Override
		public void lost(SessionLostEvent event) {
			ChildSide.print("SESSION-LOST " + Long.toHexString(event.getLeaseId()) + " " + event.getReason() + " "
					+ System.nanoTime());
		}

		private void awaitRegisteredThenStart() {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
			while (!this.registration.isRegistered() && System.nanoTime() - deadline < 0) {
				ChildSide.sleep(10);
			}
			ChildSide.print("READY " + this.instanceId + " " + ProcessHandle.current().pid() + " "
					+ this.environment.getProperty(CONFIG_PROPERTY, "-") + " "
					+ (this.registration.isRegistered() ? "registered" : "not-registered"));
			ChildSide.daemon("leader-work", this::leaderWork);
			ChildSide.daemon("incrementer", this::increment);
		}

		private void leaderWork() {
			while (!Thread.currentThread().isInterrupted()) {
				try {
					// back to back while leading
					while (this.writer.workThenWrite().isPresent()) {
						// next write
					}
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				catch (RuntimeException ex) {
					ChildSide.print("WORK-ERROR " + ex.getClass().getSimpleName());
				}
				ChildSide.sleep(20);
			}
		}

		/**
		 * Once the election shows a leader newer than {@code term}, write with the revoked term's
		 * token: etcd must reject it.
		 */
		private void staleWrite(LeaderTerm term) {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
			while (System.nanoTime() - deadline < 0) {
				Optional<Candidate> leader = this.election.leader();
				if (leader.isPresent() && leader.get().token() > term.token()) {
					break;
				}
				ChildSide.sleep(50);
			}
			if (System.nanoTime() - deadline >= 0) {
				ChildSide.print("STALE-UNKNOWN " + term.token() + " no-newer-leader");
				return;
			}
			String why = "";
			while (System.nanoTime() - deadline < 0) {
				try {
					WriteResult result = this.etcd.fencedWrite(term.key(), term.token(),
							FencedWrite.put(FENCE_KEY, "stale:" + term.token()));
					if (result.applied()) {
						ChildSide.print("STALE-OK " + term.token() + " " + result.revision());
					}
					else {
						ChildSide.print("STALE-REJECTED " + term.token());
					}
					return;
				}
				catch (EtcdAccessException ex) {
					// etcd not reachable yet: a rejection is still due
					why = ex.getClass().getSimpleName();
					ChildSide.sleep(500);
				}
			}
			ChildSide.print("STALE-UNKNOWN " + term.token() + " " + why);
		}

		private void increment() {
			DistributedLock lock = this.locks.obtain(LOCK);
			long seq = 0;
			while (!Thread.currentThread().isInterrupted()) {
				ChildSide.sleep(INCREMENT_PAUSE_MILLIS);
				boolean locked;
				try {
					locked = lock.tryLock(5, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				catch (RuntimeException ex) {
					// etcd not reachable, or the session not valid
					ChildSide.sleep(200);
					continue;
				}
				if (!locked) {
					continue;
				}
				long token = lock.fencingToken().orElse(-1);
				try {
					Optional<KeyValue> current = this.etcd.get(COUNTER_KEY);
					long value = current.map((kv) -> Long.parseLong(EtcdKeys.string(kv.getValue()))).orElse(0L);
					long next = value + 1;
					String record = RECORDS + this.instanceId + "-" + (++seq);
					WriteResult result = lock
						.fencedWrite(FencedWrite.put(COUNTER_KEY, Long.toString(next)).andPut(record, next + " " + token));
					if (result.applied()) {
						ChildSide.print("INC " + token + " " + next + " " + result.revision());
					}
					else {
						ChildSide.print("INC-REJECTED " + token + " " + next);
					}
				}
				catch (LockLostException ex) {
					ChildSide.print("INC-LOST " + token);
				}
				catch (EtcdAccessException ex) {
					// indeterminate: the record in etcd tells whether it was applied
					ChildSide.print("INC-FAILED " + token + " " + seq + " " + ex.getClass().getSimpleName());
				}
				catch (RuntimeException ex) {
					ChildSide.print("INC-ERROR " + token + " " + ex.getClass().getSimpleName());
				}
				finally {
					try {
						lock.unlock();
					}
					catch (RuntimeException ex) {
						// lost, or etcd not reachable: the key goes with the session
					}
				}
			}
		}

	}

}
