package dev.coordination.discovery.internal;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationThreads;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.FailureDescription;
import dev.coordination.etcd.internal.RepeatedFailureLog;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.session.SessionLossReason;
import dev.coordination.session.internal.EtcdSession;
import dev.coordination.session.internal.LeaseListener;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * This instance's registration: its {@link ServiceRecord} at {@code {prefix}/{serviceId}/{instanceId}}
 * on the session lease. It goes when the instance dies (with the lease) or stops (deleted before the
 * lease is revoked), and comes back by itself on the next lease after the session was lost.
 */
public class EtcdServiceRegistration implements LeaseListener, SmartLifecycle {

	/**
	 * Lifecycle phase: stopped (deregistered) first, before elections resign, before the web server's
	 * graceful shutdown waits for requests in flight, and long before the session is closed: other
	 * instances stop sending requests while this one still answers them.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 256;

	private static final Log logger = LogFactory.getLog(EtcdServiceRegistration.class);

	private final EtcdTemplate etcd;

	private final EtcdSession session;

	private final String prefix;

	private final DiscoveryMetrics metrics;

	// writes of the registration, in order; callers of register() wait for theirs
	private final ReentrantLock writing = new ReentrantLock();

	private volatile @Nullable ScheduledExecutorService writer;

	// guarded by this: what should be registered, null when nothing
	private @Nullable ServiceRecord wanted;

	// guarded by this: what this instance wrote, on which lease
	private @Nullable ServiceRecord written;

	private long writtenLease;

	// guarded by this: the key this instance wrote last, and its mod revision then (0: none)
	private @Nullable String writtenKey;

	private long writtenRevision;

	// guarded by this: whether a retry is scheduled already
	private boolean retryScheduled;

	// guarded by this
	private final RetryPolicy.Backoff backoff;

	// every lease this instance's session was granted: a key on one of them is this instance's own
	private final Set<Long> ownLeases = ConcurrentHashMap.newKeySet();

	private volatile @Nullable String lastError;

	private final RepeatedFailureLog failures = new RepeatedFailureLog(logger);

	private volatile UnaryOperator<ServiceRecord> beforeRenewal = UnaryOperator.identity();

	private volatile boolean running;

	private volatile Runnable onStop = () -> {
	};

	private volatile Consumer<ServiceRecord> onRegistered = (record) -> {
	};

	/**
	 * Create a registration and listen to the session.
	 * @param etcd the etcd access
	 * @param session the session the record lives on
	 * @param prefix the normalised prefix of all registrations, for example {@code /services}
	 * @param metrics where to report the outcome of writes
	 * @param retry how to wait between failed writes
	 */
	public EtcdServiceRegistration(EtcdTemplate etcd, EtcdSession session, String prefix,
			DiscoveryMetrics metrics, RetryPolicy retry) {
		this.backoff = retry.backoff();
		this.etcd = etcd;
		this.session = session;
		this.prefix = prefix;
		this.metrics = metrics;
		session.addLeaseListener(this);
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
			if (this.writer == null) {
				// stopped: a registration now would outlive the deregistration of the shutdown
				return false;
			}
			previous = this.wanted;
			this.wanted = record;
		}
		if (previous != null && !key(previous).equals(key(record))) {
			deleteOwn();
		}
		return write();
	}

	/**
	 * Publish another status with the registration, if there is one.
	 * @param status the status
	 * @return whether it is in etcd now
	 */
	public boolean setStatus(InstanceStatus status) {
		synchronized (this) {
			if (this.wanted == null || this.writer == null) {
				return false;
			}
			this.wanted = this.wanted.withStatus(status);
		}
		return write();
	}

	/**
	 * Remove the registration from etcd, waiting for etcd (bounded by the request timeout). Only this
	 * instance's own record is deleted, never one another instance wrote under the same id.
	 */
	public void deregister() {
		synchronized (this) {
			this.wanted = null;
		}
		deleteOwn();
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
	 * Run {@code onStop} first when the registration stops, for example to stop what drives its
	 * status.
	 * @param onStop what to run
	 */
	public void onStop(Runnable onStop) {
		this.onStop = onStop;
	}

	/**
	 * Tell {@code onRegistered} each time a record is written where none of this instance was: the
	 * first registration, and again after the record was lost with a lease or moved to another key;
	 * not when only its status or metadata change. Called on the thread that wrote it.
	 * @param onRegistered what to tell
	 */
	public void onRegistered(Consumer<ServiceRecord> onRegistered) {
		this.onRegistered = onRegistered;
	}

	/**
	 * Adjust the record before it is written again on a new lease, for example with a fresh status.
	 * @param beforeRenewal gives the record to write
	 */
	public void beforeRenewal(UnaryOperator<ServiceRecord> beforeRenewal) {
		this.beforeRenewal = beforeRenewal;
	}

	@Override
	public void leaseGranted(long leaseId, boolean renewal) {
		this.ownLeases.add(leaseId);
		ScheduledExecutorService executor = this.writer;
		if (executor == null) {
			return;
		}
		try {
			executor.execute(() -> {
				if (renewal) {
					synchronized (this) {
						if (this.wanted != null) {
							this.wanted = this.beforeRenewal.apply(this.wanted);
						}
					}
				}
				write();
			});
		}
		catch (RejectedExecutionException ex) {
			// stopped
		}
	}

	@Override
	public void leaseLost(long leaseId, SessionLossReason reason) {
		synchronized (this) {
			if (this.writtenLease == leaseId) {
				this.written = null;
				this.writtenLease = 0;
			}
		}
	}

	@Override
	public void leaseClosing(long leaseId) {
		deleteOwn();
	}

	@Override
	public synchronized void start() {
		this.writer = Executors.newSingleThreadScheduledExecutor(CoordinationThreads.daemon("coordination-registration"));
		this.running = true;
	}

	@Override
	public void stop() {
		this.onStop.run();
		ScheduledExecutorService stopping;
		synchronized (this) {
			// no write from now on: register() and setStatus() are no-ops
			stopping = this.writer;
			this.writer = null;
		}
		// before the session's lease is revoked: other instances see this one go at once
		deregister();
		if (stopping != null) {
			stopping.shutdownNow();
		}
		synchronized (this) {
			this.running = false;
			this.retryScheduled = false;
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

	private void scheduleRetry() {
		ScheduledExecutorService executor;
		long delay;
		synchronized (this) {
			executor = this.writer;
			if (executor == null || this.retryScheduled) {
				return;
			}
			this.retryScheduled = true;
			delay = this.backoff.nextDelayNanos();
		}
		try {
			executor.schedule(() -> {
				synchronized (this) {
					this.retryScheduled = false;
				}
				write();
			}, delay, TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			// stopped
		}
	}

	/**
	 * Write the wanted record on the current lease, unless it is there already. The key is created
	 * if absent, or replaced only while it is still the one this instance wrote: a record another
	 * instance wrote under the same id is left alone (and reported) until it goes.
	 * @return whether it is in etcd now
	 */
	private boolean write() {
		this.writing.lock();
		try {
			// a second attempt when the key changed under us: gone (its lease expired), or ours after all
			for (int attempt = 1; attempt <= 2; attempt++) {
				ServiceRecord record;
				boolean upToDate;
				String guardedKey;
				long guardRevision;
				long leaseId = this.session.leaseId();
				synchronized (this) {
					record = this.wanted;
					upToDate = record != null && record.equals(this.written) && leaseId == this.writtenLease;
					guardedKey = this.writtenKey;
					guardRevision = this.writtenRevision;
				}
				if (record == null || leaseId == 0) {
					// nothing to write, or written once the session has a lease (leaseGranted)
					return false;
				}
				if (upToDate) {
					return true;
				}
				String key = key(record);
				Cmp guard = (key.equals(guardedKey) && guardRevision != 0)
						? new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(guardRevision))
						: new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0));
				TxnResponse response = this.etcd.txn("register " + key, (txn) -> txn.If(guard)
					.Then(Op.put(EtcdKeys.bytes(key), EtcdKeys.bytes(ServiceRecordCodec.encode(record)),
							PutOption.builder().withLeaseId(leaseId).build()))
					.Else(Op.get(EtcdKeys.bytes(key), GetOption.DEFAULT)));
				if (response.isSucceeded()) {
					boolean newlyRegistered;
					synchronized (this) {
						newlyRegistered = this.written == null || !key(this.written).equals(key);
						this.written = record;
						this.writtenLease = leaseId;
						this.writtenKey = key;
						this.writtenRevision = response.getHeader().getRevision();
						this.backoff.reset();
					}
					this.lastError = null;
					this.failures.reset();
					this.metrics.registration("success");
					logger.info("Registered " + record.serviceId() + " instance " + record.instanceId() + " at "
							+ record.uri() + " (" + record.status() + ", lease " + EtcdKeys.leaseHex(leaseId) + ")");
					if (newlyRegistered) {
						tellRegistered(record);
					}
					return true;
				}
				List<KeyValue> existing = response.getGetResponses().get(0).getKvs();
				// a key on an earlier lease of this instance is its own (a write whose answer was lost)
				if (!existing.isEmpty() && existing.get(0).getLease() != leaseId
						&& !this.ownLeases.contains(existing.get(0).getLease())) {
					synchronized (this) {
						this.writtenKey = null;
						this.writtenRevision = 0;
					}
					failed("conflict", "Instance id '" + record.instanceId() + "' of service '" + record.serviceId()
							+ "' is registered by another instance (lease "
							+ EtcdKeys.leaseHex(existing.get(0).getLease()) + "); it is left alone, and this instance"
							+ " registers once it is gone. Give every instance its own"
							+ " coordination.etcd.discovery.instance-id.", null);
					return false;
				}
				// gone meanwhile, or on a lease of this instance: guard on what is there now
				synchronized (this) {
					this.writtenKey = key;
					this.writtenRevision = existing.isEmpty() ? 0 : existing.get(0).getModRevision();
				}
			}
			failed("changing", "Could not register " + describe(this.wanted) + " yet: the record kept changing under this instance;"
					+ " retrying", null);
			return false;
		}
		catch (EtcdAccessException ex) {
			failed("etcd", "Could not register " + describe(this.wanted) + " in etcd: " + FailureDescription.describe(ex, this.etcd)
					+ "; retrying until etcd answers", ex);
			return false;
		}
		finally {
			this.writing.unlock();
		}
	}

	private void tellRegistered(ServiceRecord record) {
		try {
			this.onRegistered.accept(record);
		}
		catch (RuntimeException ex) {
			logger.error("Telling that " + record.instanceId() + " is registered failed", ex);
		}
	}

	private static String describe(@Nullable ServiceRecord record) {
		return (record != null) ? "instance " + record.instanceId() + " of service " + record.serviceId()
				: "this instance";
	}

	// a conflict after an outage (or the other way round) is a new failure: WARN again
	private void failed(String kind, String message, @Nullable Throwable failure) {
		this.lastError = message;
		this.metrics.registration("failure");
		this.failures.failed(kind, message, failure);
		scheduleRetry();
	}

	/**
	 * Delete the record this instance wrote, only while it is still the one it wrote.
	 */
	private void deleteOwn() {
		this.writing.lock();
		try {
			String key;
			long revision;
			synchronized (this) {
				key = this.writtenKey;
				revision = this.writtenRevision;
				this.written = null;
				this.writtenLease = 0;
				this.writtenKey = null;
				this.writtenRevision = 0;
			}
			if (key == null || revision == 0) {
				return;
			}
			try {
				TxnResponse response = this.etcd.txn("deregister " + key, (txn) -> txn
					.If(new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(revision)))
					.Then(Op.delete(EtcdKeys.bytes(key), DeleteOption.DEFAULT))
					.Else(Op.get(EtcdKeys.bytes(key), GetOption.DEFAULT)));
				boolean deleted = response.isSucceeded();
				List<KeyValue> existing = deleted ? List.of() : response.getGetResponses().get(0).getKvs();
				if (!existing.isEmpty() && this.ownLeases.contains(existing.get(0).getLease())) {
					// changed by a write of this instance whose answer was lost: still its own
					long now = existing.get(0).getModRevision();
					deleted = this.etcd.txn("deregister " + key, (txn) -> txn
						.If(new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(now)))
						.Then(Op.delete(EtcdKeys.bytes(key), DeleteOption.DEFAULT))).isSucceeded();
				}
				logger.info((deleted ? "Deregistered " : "Did not deregister (the record changed since this instance"
						+ " wrote it) ") + key);
			}
			catch (EtcdAccessException ex) {
				logger.warn("Could not deregister " + key + ": " + FailureDescription.describe(ex, this.etcd)
						+ "; it goes with the session lease");
				if (logger.isDebugEnabled()) {
					logger.debug("Could not deregister " + key, ex);
				}
			}
		}
		finally {
			this.writing.unlock();
		}
	}

}
