package dev.coordination.etcd.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import org.springframework.util.Assert;

/**
 * How every loop of the starter that retries an etcd call waits between attempts
 * ({@code coordination.etcd.retry.*}): the first retry after {@code delay}, each later one after
 * twice the previous delay, at most {@code maxDelay}, each shortened by up to a fifth at random so
 * that the instances of a fleet do not retry in step. jetcd's own retries of idempotent calls use
 * the same two settings.
 *
 * @param delay the first delay
 * @param maxDelay the longest delay
 */
public record RetryPolicy(Duration delay, Duration maxDelay) {

	/**
	 * The defaults: 100 ms doubling to 1 s.
	 */
	public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1));

	public RetryPolicy {
		Assert.isTrue(delay != null && delay.toNanos() > 0, "delay must be positive");
		Assert.isTrue(maxDelay != null && maxDelay.compareTo(delay) >= 0, "maxDelay must not be smaller than delay");
	}

	/**
	 * The delays of one retrying loop, starting with {@link #delay()}.
	 * @return a new backoff
	 */
	public Backoff backoff() {
		return new Backoff();
	}

	/**
	 * The delays of one retrying loop: not thread-safe, one per loop.
	 */
	public final class Backoff {

		private long next = RetryPolicy.this.delay.toNanos();

		private Backoff() {
		}

		/**
		 * The delay before the next attempt; each call doubles the one after, up to the maximum.
		 * @return the delay in nanoseconds
		 */
		public long nextDelayNanos() {
			long delay = this.next;
			this.next = Math.min(delay * 2, RetryPolicy.this.maxDelay.toNanos());
			return delay - ThreadLocalRandom.current().nextLong(delay / 5 + 1);
		}

		/**
		 * An attempt worked: the next failure waits {@link RetryPolicy#delay()} again.
		 */
		public void reset() {
			this.next = RetryPolicy.this.delay.toNanos();
		}

	}

}
