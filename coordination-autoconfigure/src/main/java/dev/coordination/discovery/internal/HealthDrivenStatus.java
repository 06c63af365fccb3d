package dev.coordination.discovery.internal;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.etcd.internal.CoordinationThreads;
import dev.coordination.etcd.internal.FailureDescription;
import dev.coordination.etcd.internal.RepeatedFailureLog;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;

/**
 * Publishes this instance as DOWN (or deregisters it) while the application's health is DOWN or
 * OUT_OF_SERVICE, and as UP (or registered again) once it is UP. A status set to OUT_OF_SERVICE on
 * purpose (through the service registry) is left alone.
 * <p>
 * The health is checked on a thread of its own, a virtual thread when the application runs on
 * virtual threads. The health indicators it calls are the application's and may block, so the
 * checks are ordered by a {@link ReentrantLock}, not a monitor, which would pin a virtual thread to
 * its carrier meanwhile on Java 21 to 23.
 */
public class HealthDrivenStatus implements DisposableBean {

	private static final Log logger = LogFactory.getLog(HealthDrivenStatus.class);

	private final RepeatedFailureLog healthFailures = new RepeatedFailureLog(logger);

	private final EtcdServiceRegistration registration;

	private final Supplier<String> health;

	private final Duration interval;

	private final boolean deregisterWhileDown;

	private final ScheduledExecutorService checker;

	// orders the checks with the admission, and guards deregistered
	private final ReentrantLock lock = new ReentrantLock();

	// guarded by lock: what to register again when the health is UP after a deregistration
	private @Nullable ServiceRecord deregistered;

	private volatile boolean started;

	/**
	 * Create a health-driven status.
	 * @param registration the registration to drive
	 * @param health the current health status code, for example {@code UP}
	 * @param interval how often to check
	 * @param deregisterWhileDown whether to deregister instead of publishing DOWN
	 * @param virtualThread whether the health is checked on a virtual thread
	 */
	public HealthDrivenStatus(EtcdServiceRegistration registration, Supplier<String> health, Duration interval,
			boolean deregisterWhileDown, boolean virtualThread) {
		this.checker = Executors.newSingleThreadScheduledExecutor(
				CoordinationThreads.forApplicationCode("coordination-registration-health", virtualThread));
		this.registration = registration;
		this.health = health;
		this.interval = interval;
		this.deregisterWhileDown = deregisterWhileDown;
	}

	/**
	 * The status the health asks for now.
	 * @return {@code DOWN} while the health is DOWN or OUT_OF_SERVICE, else {@code UP}
	 */
	public InstanceStatus statusNow() {
		String status;
		try {
			status = this.health.get();
		}
		catch (RuntimeException ex) {
			// checked every interval: one WARN until it works again, the stack trace at DEBUG
			this.healthFailures.failed("Could not read the health for the registration's status ("
					+ FailureDescription.describe(ex) + "); publishing UP until it can be read", ex);
			return InstanceStatus.UP;
		}
		this.healthFailures.recovered("Reading the health for the registration's status works again");
		return ("DOWN".equals(status) || "OUT_OF_SERVICE".equals(status)) ? InstanceStatus.DOWN : InstanceStatus.UP;
	}

	/**
	 * The record to register now, when the application becomes ready: with the status the health
	 * asks for, or, when deregistering while DOWN, none yet (it is registered once the health is UP).
	 * @param record the record, status UP
	 * @return the record to register, or {@code null} to wait
	 */
	public @Nullable ServiceRecord admit(ServiceRecord record) {
		this.lock.lock();
		try {
			InstanceStatus status = statusNow();
			if (!this.deregisterWhileDown) {
				return record.withStatus(status);
			}
			if (status == InstanceStatus.DOWN) {
				logger.info("Health is DOWN: registering once it is UP");
				this.deregistered = record;
				return null;
			}
			return record;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Start checking, once the instance registered.
	 */
	public void start() {
		if (this.started) {
			return;
		}
		this.started = true;
		long millis = Math.max(1, this.interval.toMillis());
		this.checker.scheduleWithFixedDelay(this::check, millis, millis, TimeUnit.MILLISECONDS);
	}

	/**
	 * Check the health once and apply it.
	 */
	public void check() {
		this.lock.lock();
		try {
			checkLocked();
		}
		finally {
			this.lock.unlock();
		}
	}

	private void checkLocked() {
		InstanceStatus wanted = statusNow();
		if (this.deregisterWhileDown) {
			if (wanted == InstanceStatus.DOWN && this.deregistered == null) {
				this.registration.registration().ifPresent((record) -> {
					logger.info("Health is DOWN: deregistering until it is UP again");
					this.deregistered = record;
					this.registration.deregister();
				});
			}
			else if (wanted == InstanceStatus.UP && this.deregistered != null) {
				logger.info("Health is UP: registering");
				ServiceRecord record = this.deregistered;
				this.deregistered = null;
				this.registration.register(record.withStatus(InstanceStatus.UP));
			}
			return;
		}
		this.registration.registration().ifPresent((record) -> {
			if (record.status() != InstanceStatus.OUT_OF_SERVICE && record.status() != wanted) {
				logger.info("Health asks for status " + wanted + ": publishing it");
				this.registration.setStatus(wanted);
			}
		});
	}

	/**
	 * The record to write on a new lease, with the status the health asks for now.
	 * @param record the record
	 * @return the record with a fresh status
	 */
	public ServiceRecord onRenewal(ServiceRecord record) {
		if (this.deregisterWhileDown || record.status() == InstanceStatus.OUT_OF_SERVICE) {
			return record;
		}
		return record.withStatus(statusNow());
	}

	/**
	 * Stop checking: on shutdown, before the registration is removed.
	 */
	public void stop() {
		this.checker.shutdownNow();
	}

	@Override
	public void destroy() {
		stop();
	}

}
