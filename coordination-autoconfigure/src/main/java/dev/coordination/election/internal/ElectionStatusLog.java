package dev.coordination.election.internal;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.etcd.internal.CoordinationThreads;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;
import org.springframework.util.Assert;

/**
 * Logs at INFO, every interval, one line per election with this instance's role and the leader
 * ({@code coordination.etcd.election.status-log-interval}), for example
 * "Election 'reports': this instance (orders-1) follows orders-2 (token 1234), 3 candidates".
 * <p>
 * What it logs is each election's latest view ({@link LeaderElection#leader()},
 * {@link LeaderElection#candidates()}): it calls no etcd. Runs on a daemon thread of its own while
 * this lifecycle runs, and logs nothing once the elections stopped.
 */
public class ElectionStatusLog implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog(ElectionStatusLog.class);

	private final LeaderElections elections;

	private final Supplier<String> instanceId;

	private final Duration interval;

	private @Nullable ScheduledExecutorService executor;

	/**
	 * Create the log.
	 * @param elections the elections to report on
	 * @param instanceId this instance's id, read when logging
	 * @param interval how often to log
	 */
	public ElectionStatusLog(LeaderElections elections, Supplier<String> instanceId, Duration interval) {
		Assert.isTrue(!interval.isNegative() && !interval.isZero(), "interval must be positive");
		this.elections = elections;
		this.instanceId = instanceId;
		this.interval = interval;
	}

	@Override
	public synchronized void start() {
		if (this.executor != null) {
			return;
		}
		ScheduledExecutorService executor = Executors
			.newSingleThreadScheduledExecutor(CoordinationThreads.daemon("coordination-election-status"));
		long nanos = this.interval.toNanos();
		executor.scheduleAtFixedRate(this::logStatus, nanos, nanos, TimeUnit.NANOSECONDS);
		this.executor = executor;
	}

	@Override
	public synchronized void stop() {
		ScheduledExecutorService executor = this.executor;
		if (executor != null) {
			executor.shutdownNow();
			this.executor = null;
		}
	}

	@Override
	public synchronized boolean isRunning() {
		return this.executor != null;
	}

	@Override
	public int getPhase() {
		// starts after the elections, and stops before them
		return EtcdLeaderElections.PHASE + 1;
	}

	/**
	 * Log one line per election, ordered by name.
	 */
	void logStatus() {
		try {
			if (!logger.isInfoEnabled()
					|| (this.elections instanceof EtcdLeaderElections etcd && !etcd.isRunning())) {
				return;
			}
			String instance = this.instanceId.get();
			this.elections.elections()
				.stream()
				.sorted(Comparator.comparing(LeaderElection::name))
				.forEach((election) -> logger.info(status(election, instance)));
		}
		catch (RuntimeException ex) {
			// a failure must not end the schedule
			logger.warn("Could not log the status of the elections", ex);
		}
	}

	/**
	 * One line: what this instance is in the election, and who leads.
	 * @param election the election
	 * @param instance this instance's id
	 * @return the line
	 */
	static String status(LeaderElection election, String instance) {
		List<Candidate> candidates = election.candidates();
		Optional<Candidate> leader = election.leader();
		String prefix = "Election '" + election.name() + "': this instance (" + instance + ") ";
		String count = candidates.size() + ((candidates.size() == 1) ? " candidate" : " candidates");
		OptionalLong leaderToken = leader.map((candidate) -> OptionalLong.of(candidate.token()))
			.orElse(OptionalLong.empty());
		if (election.isLeader()) {
			return prefix + "is the leader (token " + election.fencingToken().orElse(leaderToken.orElse(0)) + "), "
					+ count;
		}
		String leads = leader.map((candidate) -> candidate.instanceId() + " leads (token " + candidate.token() + ")")
			.orElse("no leader");
		if (election instanceof EtcdLeaderElection etcd) {
			if (!etcd.isCandidate()) {
				return prefix + "is not a candidate; " + leads + ", " + count;
			}
			if (!etcd.isCampaigning()) {
				return prefix + "is not campaigning now; " + leads + ", " + count;
			}
			OptionalLong own = etcd.candidacyToken();
			if (own.isPresent() && leaderToken.equals(own)) {
				return prefix + "is first in line but does not lead now, " + count;
			}
		}
		return leader
			.map((candidate) -> prefix + "follows " + candidate.instanceId() + " (token " + candidate.token() + "), "
					+ count)
			.orElse(prefix + "has no leader, " + count);
	}

}
