package dev.coordination.config.internal;

import java.time.Duration;
import java.time.Instant;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of the configuration imported from etcd: its revision, contexts, last refresh and last
 * error. UP while changes reach the application, or when it is not watched ({@code static}); UNKNOWN
 * while they do not (etcd not read yet, or the watch cut off: the last values stay, shown as
 * {@code stale} with how long), which does not turn
 * the aggregate health DOWN: the application keeps running on its last good configuration. Answers
 * from local state, without calling etcd.
 */
public class ConfigHealthIndicator extends AbstractHealthIndicator {

	private final EtcdConfigState state;

	public ConfigHealthIndicator(EtcdConfigState state) {
		super("etcd configuration health check failed");
		this.state = state;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		String status = this.state.state();
		builder.status((status.equals("live") || status.equals("static")) ? Status.UP : Status.UNKNOWN)
			.withDetail("state", status)
			.withDetail("revision", this.state.revision())
			.withDetail("contexts", this.state.contexts());
		this.state.lastRefresh().ifPresent((at) -> builder.withDetail("lastRefresh", at.toString()));
		this.state.staleSince().ifPresent((since) -> builder.withDetail("staleSince", since.toString())
			.withDetail("staleFor", Duration.between(since, Instant.now()).toString()));
		this.state.lastError().ifPresent((error) -> builder.withDetail("lastError", error));
		this.state.lastErrorAt().ifPresent((at) -> builder.withDetail("lastErrorAt", at.toString()));
	}

}
