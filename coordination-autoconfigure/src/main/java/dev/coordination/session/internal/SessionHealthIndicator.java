package dev.coordination.session.internal;

import java.time.Instant;

import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionInfo;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of the coordination session: UP with the lease, TTL and time left while the lease is
 * provably alive; DOWN while it is lost, with the reason and the last error. Answers from the
 * session's local state, without calling etcd.
 */
public class SessionHealthIndicator extends AbstractHealthIndicator {

	private final CoordinationSession session;

	public SessionHealthIndicator(CoordinationSession session) {
		super("coordination session health check failed");
		this.session = session;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		SessionInfo info = this.session.info();
		builder.status(info.valid() ? Status.UP : Status.DOWN)
			.withDetail("ttl", info.ttl().toString())
			.withDetail("safetyMargin", info.safetyMargin().toString());
		if (info.valid()) {
			builder.withDetail("leaseId", info.leaseHex()).withDetail("timeLeft", info.timeLeft().toString());
			Instant grantedAt = info.grantedAt();
			if (grantedAt != null) {
				builder.withDetail("grantedAt", grantedAt.toString());
			}
		}
		if (info.lastLossReason() != null) {
			builder.withDetail("lastLossReason", info.lastLossReason().name());
		}
		if (info.lastError() != null) {
			builder.withDetail("lastError", info.lastError());
		}
	}

}
