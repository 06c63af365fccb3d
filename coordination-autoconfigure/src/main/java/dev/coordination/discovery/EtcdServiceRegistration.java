package dev.coordination.discovery;

import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdKeys;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionListener;
import dev.coordination.session.SessionLossReason;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.SmartLifecycle;

/**
 * This instance's registration: its {@link ServiceRecord} at {@code {prefix}/{serviceId}/{instanceId}}
 * on the session lease. It goes when the instance dies (with the lease) or stops (deleted before the
 * lease is revoked), and comes back by itself on the next lease after the session was lost.
 */
public class EtcdServiceRegistration implements SessionListener, SmartLifecycle {

	/**
	 * Lifecycle phase: stopped (deregistered) first, before elections resign, before the web server's
	 * graceful shutdown waits for requests in flight, and long before the session is closed: other
	 * instances stop sending requests while this one still answers them.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 256;

	private static final Log logger = LogFactory.getLog(EtcdServiceRegistration.class);

	private static final long RETRY_MILLIS = 1000;

	private final EtcdTemplate etcd;

	private final CoordinationSession session;

	private final String prefix;

	private final DiscoveryMetrics metrics;

	// writes of the registration, one at a time and in order
	private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor((task) -> {
		Thread thread = new Thread(task, "coordination-registration");
		thread.setDaemon(true);
		return thread;
	});

	// guarded by this: what should be registered, null when nothing
	private ServiceRecord wanted;

	// guarded by this: what is in etcd, and on which lease
	private ServiceRecord written;

	private long writtenLease;

	private volatile String lastError;

	private volatile UnaryOperator<ServiceRecord> beforeRenewal = UnaryOperator.identity();

	private volatile boolean running;

	/**
	 * Create a registration and listen to the session.
	 * @param etcd the etcd access
	 * @param session the session the record lives on
	 * @param prefix the normalised prefix of all registrations, for example {@code /services}
	 * @param metrics where to report the outcome of writes
	 */
	public EtcdServiceRegistration(EtcdTemplate etcd, CoordinationSession session, String prefix,
			DiscoveryMetrics metrics) {
		this.etcd = etcd;
		this.session = session;
		this.prefix = prefix;
		this.metrics = metrics;
		session.addListener(this);
	}

	/**
	 * Register {@code record}, replacing what this instance registered before; waits for etcd
	 * (bounded by the request timeout). If the session has no lease now, or etcd does not answer, the
	 * record is written as soon as it can be.
	 * @param record what to register
	 * @return whether it is in etcd now
	 */
	public boolean register(ServiceRecord record) {
		ServiceRecord previous;
		synchronized (this) {
			previous = this.wanted;
			this.wanted = record;
		}
		if (previous != null && !key(previous).equals(key(record))) {
			deleteQuietly(previous);
		}
		return writeNow();
	}

	/**
	 * Publish another status with the registration, if there is one.
	 * @param status the status
	 * @return whether it is in etcd now
	 */
	public boolean setStatus(InstanceStatus status) {
		synchronized (this) {
			if (this.wanted == null || this.wanted.status() == status) {
				return this.wanted != null && this.wanted.equals(this.written);
			}
			this.wanted = this.wanted.withStatus(status);
		}
		return writeNow();
	}

	/**
	 * Remove the registration from etcd, waiting for etcd (bounded by the request timeout).
	 */
	public void deregister() {
		ServiceRecord previous;
		synchronized (this) {
			previous = this.wanted;
			this.wanted = null;
			this.written = null;
			this.writtenLease = 0;
		}
		if (previous != null) {
			deleteQuietly(previous);
		}
	}

	/**
	 * What this instance wants registered.
	 * @return the record, or empty when it does not register
	 */
	public synchronized Optional<ServiceRecord> registration() {
		return Optional.ofNullable(this.wanted);
	}

	/**
	 * Whether the wanted record is in etcd, on a lease that is provably alive.
	 * @return {@code true} when registered
	 */
	public boolean isRegistered() {
		long lease;
		synchronized (this) {
			lease = (this.wanted != null && this.wanted.equals(this.written)) ? this.writtenLease : 0;
		}
		return lease != 0 && this.session.isValid(lease);
	}

	/**
	 * The lease the record is written on.
	 * @return the lease, {@code 0} when not written
	 */
	public synchronized long lease() {
		return this.writtenLease;
	}

	/**
	 * Why the last write failed.
	 * @return the reason, or empty when the last write succeeded
	 */
	public Optional<String> lastError() {
		return Optional.ofNullable(this.lastError);
	}

	/**
	 * The etcd key of a record.
	 * @param record the record
	 * @return its key
	 */
	public String key(ServiceRecord record) {
		return EtcdKeys.key(this.prefix, EtcdKeys.segment("service id", record.serviceId()),
				EtcdKeys.segment("instance id", record.instanceId()));
	}

	/**
	 * Adjust the record before it is written again on a new lease, for example with a fresh status.
	 * @param beforeRenewal gives the record to write
	 */
	public void beforeRenewal(UnaryOperator<ServiceRecord> beforeRenewal) {
		this.beforeRenewal = beforeRenewal;
	}

	@Override
	public void sessionGranted(long leaseId, boolean renewal) {
		schedule(0, renewal);
	}

	@Override
	public void sessionLost(long leaseId, SessionLossReason reason) {
		synchronized (this) {
			if (this.writtenLease == leaseId) {
				this.written = null;
				this.writtenLease = 0;
			}
		}
	}

	@Override
	public void sessionClosing(long leaseId) {
		deregister();
	}

	@Override
	public void start() {
		this.running = true;
	}

	@Override
	public void stop() {
		// before the session's lease is revoked: other instances see this one go at once
		deregister();
		this.running = false;
		this.writer.shutdownNow();
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	private void schedule(long delayMillis, boolean renewal) {
		try {
			this.writer.schedule(() -> {
				if (renewal) {
					synchronized (this) {
						if (this.wanted != null) {
							this.wanted = this.beforeRenewal.apply(this.wanted);
						}
					}
				}
				writeNow();
			}, delayMillis, TimeUnit.MILLISECONDS);
		}
		catch (RejectedExecutionException ex) {
			// stopped
		}
	}

	/**
	 * Write the wanted record on the current lease, unless it is there already.
	 * @return whether it is in etcd now
	 */
	private synchronized boolean writeNow() {
		ServiceRecord record = this.wanted;
		long leaseId = this.session.leaseId();
		if (record == null) {
			return false;
		}
		if (leaseId == 0) {
			// written once the session has a lease (sessionGranted)
			return false;
		}
		if (record.equals(this.written) && leaseId == this.writtenLease) {
			return true;
		}
		try {
			this.etcd.put(key(record), ServiceRecordCodec.encode(record), leaseId);
			this.written = record;
			this.writtenLease = leaseId;
			this.lastError = null;
			this.metrics.registration("success");
			logger.info("Registered " + record.serviceId() + " instance " + record.instanceId() + " at "
					+ record.uri() + " (" + record.status() + ", lease " + EtcdKeys.leaseHex(leaseId) + ")");
			return true;
		}
		catch (EtcdAccessException ex) {
			this.lastError = ex.getMessage();
			this.metrics.registration("failure");
			logger.warn("Could not register " + record.serviceId() + " instance " + record.instanceId()
					+ " yet, retrying: " + ex.getMessage());
			schedule(RETRY_MILLIS, false);
			return false;
		}
	}

	private void deleteQuietly(ServiceRecord record) {
		try {
			this.etcd.delete(key(record));
			logger.info("Deregistered " + record.serviceId() + " instance " + record.instanceId());
		}
		catch (EtcdAccessException ex) {
			logger.warn("Could not deregister " + record.serviceId() + " instance " + record.instanceId()
					+ "; it goes with the session lease: " + ex.getMessage());
		}
	}

}
