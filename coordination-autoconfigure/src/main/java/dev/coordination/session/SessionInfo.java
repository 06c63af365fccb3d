package dev.coordination.session;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A snapshot of the session.
 *
 * @param valid whether the lease is provably alive
 * @param leaseId the current lease, {@code 0} when none
 * @param ttl the lease TTL
 * @param safetyMargin how long before {@code sent + TTL} the session stops counting as valid
 * @param timeLeft time left until the local deadline, zero when not valid
 * @param grantedAt when the current lease was granted, {@code null} when none
 * @param acknowledgedSentNanos {@link System#nanoTime()} when the request behind the last
 * acknowledged keep-alive (or the grant) was sent; etcd cannot expire the lease before this plus
 * the TTL. {@code 0} when none
 * @param lastLossReason why the last lease was lost, {@code null} if none was
 * @param lastError the last failure to reach etcd, {@code null} if the last call succeeded
 */
public record SessionInfo(boolean valid, long leaseId, Duration ttl, Duration safetyMargin, Duration timeLeft,
		@Nullable Instant grantedAt, long acknowledgedSentNanos, @Nullable SessionLossReason lastLossReason,
		@Nullable String lastError) {

	/**
	 * The lease id as etcd tools show it.
	 * @return lower-case hexadecimal, empty when there is no lease
	 */
	public String leaseHex() {
		return (this.leaseId != 0) ? Long.toHexString(this.leaseId) : "";
	}

}
