package dev.coordination.election.internal;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeadershipListener;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.InstanceIdentity;

import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.util.Assert;
import org.springframework.util.StringUtils;

/**
 * {@link LeaderElections} on etcd: one {@link EtcdLeaderElection} per name, all on the same
 * session. Elections join when first used and campaign while this lifecycle runs. Shutdown hands
 * over first: as soon as the application context starts closing ({@link ContextClosedEvent}, before
 * any lifecycle component stops), every election is left cleanly (leadership revoked, then the key
 * deleted), so a successor leads while this instance finishes its shutdown; the lifecycle's stop
 * does the same for a registry stopped without closing its context.
 */
public class EtcdLeaderElections
		implements LeaderElections, SmartLifecycle, ApplicationListener<ContextClosedEvent>, ApplicationContextAware {

	/**
	 * Lifecycle phase: after the session and the web server start (the port is known), and
	 * before the web server drains on shutdown, so that a successor takes over meanwhile.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

	private final Map<String, EtcdLeaderElection> elections = new ConcurrentHashMap<>();

	private final EtcdTemplate etcd;

	private final EtcdSession session;

	private final String prefix;

	private final Supplier<InstanceIdentity> identity;

	private final ElectionMetrics metrics;

	private final Predicate<String> candidate;

	private final CampaignGate gate;

	private final CoordinationEvents events;

	private final Function<String, RetryPolicy> retry;

	private final WatchProgress progress;

	private final List<LeadershipListener> sharedListeners = new CopyOnWriteArrayList<>();

	private volatile boolean running;

	private @Nullable ApplicationContext context;

	/**
	 * Create the registry.
	 * @param etcd the etcd access
	 * @param session the session every candidacy lives on
	 * @param prefix the normalised key prefix of all elections
	 * @param identity this instance's identity, resolved when campaigning (the port may be known
	 * late)
	 * @param metrics where elections report
	 * @param candidate whether this instance campaigns in the named election, rather than only
	 * observing it
	 * @param events the thread listeners are told on
	 * @param retry how elections wait between failed attempts
	 * @param progress whether and how often their watches ask etcd how far they are
	 */
	public EtcdLeaderElections(EtcdTemplate etcd, EtcdSession session, String prefix,
			Supplier<InstanceIdentity> identity, ElectionMetrics metrics,
			Predicate<String> candidate, CoordinationEvents events, RetryPolicy retry,
			WatchProgress progress) {
		this(etcd, session, prefix, identity, metrics, candidate, CampaignGate.OPEN, events, (name) -> retry, progress);
	}

	/**
	 * Create the registry.
	 * @param etcd the etcd access
	 * @param session the session every candidacy lives on
	 * @param prefix the normalised key prefix of all elections
	 * @param identity this instance's identity, resolved when campaigning (the port may be known
	 * late)
	 * @param metrics where elections report
	 * @param candidate whether this instance campaigns in the named election, rather than only
	 * observing it
	 * @param gate when candidates may campaign, for example only while the application is ready
	 * @param events the thread listeners are told on
	 * @param retry how the named election waits between failed campaigns and reads
	 * @param progress whether and how often their watches ask etcd how far they are
	 */
	public EtcdLeaderElections(EtcdTemplate etcd, EtcdSession session, String prefix,
			Supplier<InstanceIdentity> identity, ElectionMetrics metrics,
			Predicate<String> candidate, CampaignGate gate, CoordinationEvents events,
			Function<String, RetryPolicy> retry, WatchProgress progress) {
		this.gate = gate;
		this.etcd = etcd;
		this.session = session;
		this.prefix = prefix;
		this.identity = identity;
		this.metrics = metrics;
		this.candidate = candidate;
		this.events = events;
		this.retry = retry;
		this.progress = progress;
	}

	@Override
	public void addListener(LeadershipListener listener) {
		this.sharedListeners.add(listener);
	}

	@Override
	public void removeListener(LeadershipListener listener) {
		this.sharedListeners.remove(listener);
	}

	@Override
	public LeaderElection election(String name) {
		Assert.isTrue(StringUtils.hasLength(name), "election name must not be null or empty");
		return this.elections.computeIfAbsent(name, this::create);
	}

	private EtcdLeaderElection create(String name) {
		EtcdLeaderElection election = new EtcdLeaderElection(name, this.prefix, this.etcd, this.session, this.identity,
				this.candidate.test(name), this.gate, this.events, this.sharedListeners, this.retry.apply(name), this.progress,
				this.metrics);
		this.metrics.joined(election);
		if (this.running) {
			election.start();
		}
		return election;
	}

	@Override
	public Collection<LeaderElection> elections() {
		return List.copyOf(this.elections.values());
	}

	@Override
	public synchronized void start() {
		this.running = true;
		this.elections.values().forEach(EtcdLeaderElection::start);
	}

	@Override
	public void setApplicationContext(ApplicationContext context) {
		this.context = context;
	}

	/**
	 * Leave every election when this registry's own context starts closing (a child context's
	 * closing reaches its parent's listeners too, and is ignored).
	 */
	@Override
	public void onApplicationEvent(ContextClosedEvent event) {
		if (event.getApplicationContext() == this.context) {
			stop();
		}
	}

	@Override
	public synchronized void stop() {
		this.running = false;
		List<EtcdLeaderElection> elections = List.copyOf(this.elections.values());
		if (elections.size() == 1) {
			// the usual case, on the closing thread without a stream's set-up: a hand-over waits for it
			elections.get(0).stop();
		}
		else {
			// each waits for its delete: together
			elections.parallelStream().forEach(EtcdLeaderElection::stop);
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

}
