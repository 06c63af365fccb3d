package dev.coordination.election;

import java.time.Instant;

/**
 * A term of leadership of this instance.
 *
 * @param election the election name
 * @param token the fencing token: the create revision of the election key, growing from one term
 * to the next
 * @param leaseId the session lease the term lives on
 * @param key the election key this instance holds
 * @param since when leadership was granted
 */
public record LeaderTerm(String election, long token, long leaseId, String key, Instant since) {
}
