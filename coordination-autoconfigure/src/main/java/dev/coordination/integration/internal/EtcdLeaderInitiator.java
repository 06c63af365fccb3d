package dev.coordination.integration.internal;

import java.util.List;
import java.util.concurrent.Executor;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.election.internal.EtcdLeaderElection;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.event.LeaderEventPublisher;

/**
 * A Spring Integration leader initiator for one role, on the starter's election of the same name
 * (the one {@code @LeaderOnly("role")} uses too): when this instance is granted leadership of that
 * election, the role's {@link Candidate candidates} hear {@code onGranted} and an
 * {@code OnGrantedEvent} is published through the {@link LeaderEventPublisher}, which
 * {@code SmartLifecycleRoleController} answers by starting the role's endpoints; on revocation,
 * {@code onRevoked} and an {@code OnRevokedEvent} stop them.
 * <p>
 * Event-driven: the election's watch tells it of changes; nothing polls. Revocations are told
 * synchronously, on the thread that revokes and before the election lets a successor in (a
 * resignation or shutdown deletes the election key after, a lost session is revoked at its local
 * deadline, {@code safety-margin} before etcd can expire the lease): the role's endpoints are
 * stopped before another instance can start them, provided they stop within that margin. Grants are
 * told on the election's thread. Candidates and endpoints should start and stop quickly.
 * <p>
 * Guarantee: with the election's assumptions (clock drift below the safety margin), the candidates
 * of one role are granted on at most one instance at a time. Not guaranteed: that there always is a
 * leader (none while the leader's session is being lost, or while etcd is unreachable).
 * {@link Context#yield()} resigns: the next candidate takes over, and this instance campaigns again
 * at the back of the queue.
 */
public class EtcdLeaderInitiator implements SmartLifecycle {

	/**
	 * Lifecycle phase, the one Spring Integration's own initiators use: late, after the endpoints
	 * (registered with the role controller when created) and before the elections campaign.
	 */
	public static final int PHASE = Integer.MAX_VALUE - 1000;

	private static final Log logger = LogFactory.getLog(EtcdLeaderInitiator.class);

	private final String role;

	private final LeaderElection election;

	private final List<Candidate> candidates;

	private final LeaderEventPublisher publisher;

	private final Executor yielding;

	private final EtcdContext context = new EtcdContext();

	private final LeadershipListener listener = new ElectionListener();

	private final Object monitor = new Object();

	// changed under the monitor

	private boolean running;

	private volatile @Nullable LeaderTerm granted;

	/**
	 * Create the initiator of a role.
	 * @param role the role, also the name of the election
	 * @param election the election of that name
	 * @param candidates what to tell of grants and revocations
	 * @param publisher where to publish {@code OnGrantedEvent} and {@code OnRevokedEvent}
	 * @param yielding where {@link Context#yield()} resigns, off the caller's thread (a candidate may
	 * yield from {@code onGranted}, on the election's thread, which the resignation needs)
	 */
	public EtcdLeaderInitiator(String role, LeaderElection election, List<Candidate> candidates,
			LeaderEventPublisher publisher, Executor yielding) {
		this.role = role;
		this.election = election;
		this.candidates = List.copyOf(candidates);
		this.publisher = publisher;
		this.yielding = yielding;
	}

	/**
	 * The role, also the name of the election.
	 * @return the role
	 */
	public String getRole() {
		return this.role;
	}

	/**
	 * The candidates told of grants and revocations.
	 * @return the candidates
	 */
	public List<Candidate> getCandidates() {
		return this.candidates;
	}

	/**
	 * The context candidates and events are given, as Spring Integration's initiators have it.
	 * @return the context
	 */
	public Context getContext() {
		return this.context;
	}

	@Override
	public void start() {
		synchronized (this.monitor) {
			if (this.running) {
				return;
			}
			this.running = true;
		}
		if (this.election instanceof EtcdLeaderElection etcdElection) {
			// told at once when this instance leads already
			etcdElection.addImmediateListener(this.listener);
		}
		else {
			// another implementation of the elections: told on its event thread
			this.election.addListener(this.listener);
			this.election.currentTerm()
				.ifPresent((term) -> this.listener.granted(new LeadershipGrantedEvent(this.election, term)));
		}
	}

	/**
	 * Stop following the election; when this instance leads, the candidates hear
	 * {@code onRevoked} and the role's endpoints are stopped. The election itself goes on: it may be
	 * shared with {@code @LeaderOnly}, and it is left when the application stops.
	 */
	@Override
	public void stop() {
		if (this.election instanceof EtcdLeaderElection etcdElection) {
			etcdElection.removeImmediateListener(this.listener);
		}
		else {
			this.election.removeListener(this.listener);
		}
		synchronized (this.monitor) {
			this.running = false;
			if (this.granted != null) {
				revoke();
			}
		}
	}

	@Override
	public boolean isRunning() {
		synchronized (this.monitor) {
			return this.running;
		}
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	private void grant(LeaderTerm term) {
		synchronized (this.monitor) {
			if (!this.running || term.equals(this.granted)) {
				return;
			}
			if (!(this.election instanceof EtcdLeaderElection)
					&& this.election.currentTerm().filter(term::equals).isEmpty()) {
				// another implementation told (or was read) late: the term ended already, its revocation is not
				// coming after this grant
				return;
			}
			if (this.granted != null) {
				revoke();
			}
			this.granted = term;
			for (Candidate candidate : this.candidates) {
				try {
					candidate.onGranted(this.context);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					logger.warn("Candidate " + candidate + " of role '" + this.role + "' was interrupted on being granted");
				}
				catch (RuntimeException ex) {
					logger.error("Candidate " + candidate + " of role '" + this.role + "' failed on being granted", ex);
				}
			}
			try {
				this.publisher.publishOnGranted(this, this.context, this.role);
			}
			catch (RuntimeException ex) {
				logger.error("Publishing OnGrantedEvent of role '" + this.role + "' failed", ex);
			}
		}
	}

	private void revoked(LeaderTerm term) {
		synchronized (this.monitor) {
			if (term.equals(this.granted)) {
				revoke();
			}
		}
	}

	// under the monitor, while granted
	private void revoke() {
		this.granted = null;
		for (Candidate candidate : this.candidates) {
			try {
				candidate.onRevoked(this.context);
			}
			catch (RuntimeException ex) {
				logger.error("Candidate " + candidate + " of role '" + this.role + "' failed on being revoked", ex);
			}
		}
		try {
			this.publisher.publishOnRevoked(this, this.context, this.role);
		}
		catch (RuntimeException ex) {
			logger.error("Publishing OnRevokedEvent of role '" + this.role + "' failed", ex);
		}
	}

	@Override
	public String toString() {
		return "EtcdLeaderInitiator{role=" + this.role + ", candidates=" + this.candidates + "}";
	}

	private final class ElectionListener implements LeadershipListener {

		@Override
		public void granted(LeadershipGrantedEvent event) {
			grant(event.getTerm());
		}

		@Override
		public void revoked(LeadershipRevokedEvent event) {
			EtcdLeaderInitiator.this.revoked(event.getTerm());
		}

		@Override
		public String toString() {
			return EtcdLeaderInitiator.this.toString();
		}

	}

	/**
	 * Leadership of the role as this initiator granted it: leading while the term it granted is
	 * the election's current, valid term.
	 */
	private final class EtcdContext implements Context {

		@Override
		public boolean isLeader() {
			LeaderTerm term = EtcdLeaderInitiator.this.granted;
			return term != null && EtcdLeaderInitiator.this.election.currentTerm().filter(term::equals).isPresent();
		}

		/**
		 * Resign, when leading: the next candidate takes over at once, and this instance campaigns
		 * again. Returns at once; the revocation follows.
		 */
		@Override
		public void yield() {
			LeaderTerm term = EtcdLeaderInitiator.this.granted;
			if (term == null || !isLeader()) {
				return;
			}
			logger.info("Yielding leadership of role '" + EtcdLeaderInitiator.this.role + "'");
			LeaderElection election = EtcdLeaderInitiator.this.election;
			EtcdLeaderInitiator.this.yielding.execute(() -> {
				// the term this was asked of: a later term of this instance is not given up
				if (election.currentTerm().filter(term::equals).isPresent()) {
					election.resign();
				}
			});
		}

		@Override
		public String getRole() {
			return EtcdLeaderInitiator.this.role;
		}

		@Override
		public String toString() {
			return "EtcdContext{role=" + EtcdLeaderInitiator.this.role + ", isLeader=" + isLeader() + "}";
		}

	}

}
