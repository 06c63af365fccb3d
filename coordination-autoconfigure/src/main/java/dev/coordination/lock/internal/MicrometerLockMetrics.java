package dev.coordination.lock.internal;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

import dev.coordination.etcd.internal.CoordinationMeterNames;
import dev.coordination.lock.LockHold;
import dev.coordination.lock.LockNotAcquiredException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

/**
 * {@link LockMetrics} on Micrometer: an {@link Observation} around every acquisition (a timer and an
 * in-flight timer through Boot's observation handlers), the held time, timeouts and losses, all
 * tagged with the lock's name. Meter names are in {@link CoordinationMeterNames}.
 */
public class MicrometerLockMetrics implements LockMetrics {

	private final MeterRegistry meters;

	private final ObservationRegistry observations;

	public MicrometerLockMetrics(MeterRegistry meters, ObservationRegistry observations) {
		this.meters = meters;
		this.observations = observations;
	}

	@Override
	public boolean acquire(String name, Acquisition acquisition) throws InterruptedException {
		Observation observation = Observation.createNotStarted(CoordinationMeterNames.LOCK_ACQUIRE, this.observations)
			.contextualName("lock " + name)
			.lowCardinalityKeyValue("lock", name)
			.start();
		try {
			boolean acquired = acquisition.acquire();
			observation.lowCardinalityKeyValue("outcome", acquired ? "acquired" : "timeout");
			if (!acquired) {
				timedOut(name);
			}
			return acquired;
		}
		catch (InterruptedException | RuntimeException ex) {
			observation.lowCardinalityKeyValue("outcome", "error");
			observation.error(ex);
			throw ex;
		}
		finally {
			observation.stop();
		}
	}

	@Override
	public CompletableFuture<LockHold> acquireAsync(String name, Supplier<CompletableFuture<LockHold>> acquisition) {
		Observation observation = Observation.createNotStarted(CoordinationMeterNames.LOCK_ACQUIRE, this.observations)
			.contextualName("lock " + name)
			.lowCardinalityKeyValue("lock", name)
			.start();
		CompletableFuture<LockHold> future;
		try {
			future = acquisition.get();
		}
		catch (RuntimeException ex) {
			observation.lowCardinalityKeyValue("outcome", "error");
			observation.error(ex);
			observation.stop();
			throw ex;
		}
		future.whenComplete((hold, failure) -> {
			Throwable cause = (failure instanceof CompletionException && failure.getCause() != null)
					? failure.getCause() : failure;
			if (cause == null) {
				observation.lowCardinalityKeyValue("outcome", "acquired");
			}
			else if (cause instanceof LockNotAcquiredException) {
				observation.lowCardinalityKeyValue("outcome", "timeout");
				timedOut(name);
			}
			else if (cause instanceof CancellationException) {
				observation.lowCardinalityKeyValue("outcome", "cancelled");
			}
			else {
				observation.lowCardinalityKeyValue("outcome", "error");
				observation.error(cause);
			}
			observation.stop();
		});
		return future;
	}

	private void timedOut(String name) {
		Counter.builder(CoordinationMeterNames.LOCK_TIMEOUTS)
			.description("Lock acquisitions that timed out")
			.tag("lock", name)
			.register(this.meters)
			.increment();
	}

	@Override
	public void held(String name, Duration held) {
		Timer.builder(CoordinationMeterNames.LOCK_HELD)
			.description("How long locks were held")
			.tag("lock", name)
			.register(this.meters)
			.record(held);
	}

	@Override
	public void lost(String name) {
		Counter.builder(CoordinationMeterNames.LOCK_LOSSES)
			.description("Locks lost while held")
			.tag("lock", name)
			.register(this.meters)
			.increment();
	}

}
