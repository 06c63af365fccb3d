package dev.coordination.etcd.internal;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.EtcdTimeoutException;
import io.etcd.jetcd.maintenance.StatusResponse;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.util.Assert;

/**
 * Health of the etcd cluster: UP as soon as one configured member answers a status request, with
 * the cluster id, the answering member, the raft leader and term, the database size and the
 * server version; DOWN with the reason when none answers within the request timeout.
 * <p>
 * {@link #health()} never waits for etcd (except up to {@link #FIRST_CHECK_WAIT} for the very first
 * check): it answers from the last status check, with when it was taken ({@code checkedAt}) and its
 * {@code age}, and when that result is older than the interval it starts one check in the
 * background. Never more than one check is in flight, so an instance asks its members at most once
 * per interval, and only while someone asks for its health. A check that has not answered within
 * the request timeout is reported DOWN at once ("etcd did not answer within N ms"), so a paused or
 * partitioned etcd turns DOWN within the interval plus the request timeout while health is asked at
 * least once per interval. Asked less often, an answer is the result of the check the previous call
 * started, as old as the gap between the calls ({@code age} says so).
 * Before the first check has answered the health is UNKNOWN, which does not turn the aggregate
 * health DOWN.
 * <p>
 * Members are asked in parallel, so a paused or partitioned member costs one request timeout,
 * not one per member. Thread-safe.
 */
public class EtcdHealthIndicator implements HealthIndicator, DisposableBean {

	/**
	 * How long the first call of {@link #health()} waits for the first check.
	 */
	public static final Duration FIRST_CHECK_WAIT = Duration.ofMillis(100);

	private final EtcdTemplate etcd;

	private final List<URI> endpoints;

	private final List<String> endpointNames;

	private final Duration interval;

	private final ExecutorService checker = Executors
		.newSingleThreadExecutor(CoordinationThreads.daemon("coordination-etcd-health"));

	private final AtomicReference<@Nullable Result> last = new AtomicReference<>();

	private final AtomicReference<@Nullable Check> inFlight = new AtomicReference<>();

	/**
	 * Create an indicator.
	 * @param etcd the template whose request timeout bounds every check
	 * @param endpoints the members to ask
	 * @param interval how old a result may get before a call of {@link #health()} starts a new
	 * check; zero starts one on every call (still never more than one in flight)
	 */
	public EtcdHealthIndicator(EtcdTemplate etcd, List<URI> endpoints, Duration interval) {
		Assert.isTrue(!interval.isNegative(), "interval must not be negative");
		this.etcd = etcd;
		this.endpoints = List.copyOf(endpoints);
		this.endpointNames = this.endpoints.stream().map(URI::toString).toList();
		this.interval = interval;
	}

	@Override
	public Health health() {
		long now = System.nanoTime();
		Result result = this.last.get();
		Check check = (result == null || now - result.nanos() >= this.interval.toNanos()) ? refresh(now)
				: this.inFlight.get();
		if (result == null && check != null) {
			result = awaitFirst(check);
		}
		Duration timeout = this.etcd.getRequestTimeout();
		if (check != null && now - check.nanos() > timeout.toNanos() && !check.future().isDone()) {
			return Health.down()
				.withDetail("endpoints", this.endpointNames)
				.withDetail("error", didNotAnswer(timeout))
				.withDetail("checkingSince", check.startedAt().toString())
				.build();
		}
		if (result == null) {
			return Health.unknown()
				.withDetail("endpoints", this.endpointNames)
				.withDetail("reason", "etcd has not answered the first status check yet")
				.build();
		}
		return Health.status(result.health().getStatus())
			.withDetails(result.health().getDetails())
			.withDetail("checkedAt", result.checkedAt().toString())
			.withDetail("age", Duration.ofNanos(Math.max(0, System.nanoTime() - result.nanos())).toString())
			.build();
	}

	private @Nullable Result awaitFirst(Check check) {
		try {
			check.future().get(FIRST_CHECK_WAIT.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			// still checking: answered from what there is
		}
		return this.last.get();
	}

	/**
	 * Start a check unless one is in flight.
	 * @param now the time of the call, from {@link System#nanoTime()}
	 * @return the check in flight, or {@code null} when none could be started (the indicator is
	 * closed)
	 */
	private @Nullable Check refresh(long now) {
		Check current = this.inFlight.get();
		if (current != null) {
			return current;
		}
		Check check = new Check(now, Instant.now(), new CompletableFuture<>());
		if (!this.inFlight.compareAndSet(null, check)) {
			return this.inFlight.get();
		}
		try {
			// the jetcd call builds a channel per member: not on the caller's thread
			this.checker.execute(() -> firstAnswer(this.etcd.getRequestTimeout()).whenComplete((answer, failure) -> {
				try {
					this.last.set(new Result(check.nanos(), check.startedAt(), health(answer, failure)));
				}
				finally {
					// whatever happened to the result, the next call may start a check
					this.inFlight.compareAndSet(check, null);
					check.future().complete(null);
				}
			}));
		}
		catch (RejectedExecutionException ex) {
			this.inFlight.compareAndSet(check, null);
			return null;
		}
		return check;
	}

	private Health health(@Nullable Answer answer, @Nullable Throwable failure) {
		Health.Builder builder = Health.unknown().withDetail("endpoints", this.endpointNames);
		if (answer != null) {
			StatusResponse status = answer.status();
			return builder.up()
				.withDetail("endpoint", answer.endpoint().toString())
				.withDetail("clusterId", hex(status.getHeader().getClusterId()))
				.withDetail("memberId", hex(status.getHeader().getMemberId()))
				.withDetail("leaderId", hex(status.getLeader()))
				.withDetail("raftTerm", status.getRaftTerm())
				.withDetail("dbSize", status.getDbSize())
				.withDetail("version", status.getVersion())
				.build();
		}
		Throwable cause = (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause()
				: failure;
		if (cause instanceof EtcdTimeoutException timeout) {
			return builder.down().withDetail("error", didNotAnswer(timeout.getTimeout())).build();
		}
		// a detail must not be null: a failure without a message is named by its type
		String message = (cause != null) ? cause.getMessage() : null;
		return builder.down()
			.withDetail("error", (message != null) ? message : (cause != null) ? cause.getClass().getName() : "failed")
			.build();
	}

	private CompletableFuture<Answer> firstAnswer(Duration timeout) {
		CompletableFuture<Answer> first = new CompletableFuture<>();
		AtomicInteger pending = new AtomicInteger(this.endpoints.size());
		for (URI endpoint : this.endpoints) {
			CompletableFuture<StatusResponse> status;
			try {
				status = this.etcd.status(endpoint, timeout);
			}
			catch (RuntimeException ex) {
				status = CompletableFuture.failedFuture(ex);
			}
			status.whenComplete((response, failure) -> {
				if (failure == null) {
					first.complete(new Answer(endpoint, response));
				}
				else if (pending.decrementAndGet() == 0) {
					first.completeExceptionally(failure);
				}
			});
		}
		return first;
	}

	@Override
	public void destroy() {
		this.checker.shutdownNow();
	}

	private static String didNotAnswer(Duration timeout) {
		return "etcd did not answer within " + timeout.toMillis() + " ms";
	}

	private static String hex(long id) {
		return Long.toHexString(id);
	}

	private record Answer(URI endpoint, StatusResponse status) {
	}

	/**
	 * A check in flight: when it started, and a future completed once its result is stored.
	 */
	private record Check(long nanos, Instant startedAt, CompletableFuture<@Nullable Void> future) {
	}

	/**
	 * The result of a check, taken when the check started.
	 */
	private record Result(long nanos, Instant checkedAt, Health health) {
	}

}
