package dev.coordination.etcd.internal;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

import dev.coordination.etcd.EtcdTemplate;
import io.etcd.jetcd.maintenance.StatusResponse;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of the etcd cluster: UP as soon as one configured member answers a status request, with
 * the cluster id, the answering member, the raft leader and term, the database size and the
 * server version; DOWN with the reason when none answers within the request timeout.
 * <p>
 * Members are asked in parallel, so a paused or partitioned member costs one request timeout,
 * not one per member.
 */
public class EtcdHealthIndicator extends AbstractHealthIndicator {

	private final EtcdTemplate etcd;

	private final List<URI> endpoints;

	public EtcdHealthIndicator(EtcdTemplate etcd, List<URI> endpoints) {
		super("etcd health check failed");
		this.etcd = etcd;
		this.endpoints = List.copyOf(endpoints);
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		List<String> endpoints = this.endpoints.stream().map(URI::toString).toList();
		builder.withDetail("endpoints", endpoints);
		try {
			Answer answer = firstAnswer(this.etcd.getRequestTimeout()).join();
			StatusResponse status = answer.status();
			builder.up()
				.withDetail("endpoint", answer.endpoint().toString())
				.withDetail("clusterId", hex(status.getHeader().getClusterId()))
				.withDetail("memberId", hex(status.getHeader().getMemberId()))
				.withDetail("leaderId", hex(status.getLeader()))
				.withDetail("raftTerm", status.getRaftTerm())
				.withDetail("dbSize", status.getDbSize())
				.withDetail("version", status.getVersion());
		}
		catch (CompletionException ex) {
			Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
			// a detail must not be null: a failure without a message is named by its type
			String message = cause.getMessage();
			builder.down().withDetail("error", (message != null) ? message : cause.getClass().getName());
		}
	}

	private CompletableFuture<Answer> firstAnswer(Duration timeout) {
		CompletableFuture<Answer> first = new CompletableFuture<>();
		AtomicInteger pending = new AtomicInteger(this.endpoints.size());
		for (URI endpoint : this.endpoints) {
			this.etcd.status(endpoint, timeout).whenComplete((status, failure) -> {
				if (failure == null) {
					first.complete(new Answer(endpoint, status));
				}
				else if (pending.decrementAndGet() == 0) {
					first.completeExceptionally(failure);
				}
			});
		}
		return first;
	}

	private static String hex(long id) {
		return Long.toHexString(id);
	}

	private record Answer(URI endpoint, StatusResponse status) {
	}

}
