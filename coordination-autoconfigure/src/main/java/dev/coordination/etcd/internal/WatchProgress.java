package dev.coordination.etcd.internal;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.coordination.etcd.EtcdTemplate;
import io.etcd.jetcd.cluster.Member;
import io.etcd.jetcd.maintenance.StatusResponse;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * Whether and how often the mirrors' watches ask etcd to confirm how far they are
 * ({@code coordination.etcd.watch.progress-interval}). etcd answers a progress request with the
 * revision the watch has reached; before etcd 3.4.31 and 3.5.13 that answer could run ahead of
 * events still on their way (etcd-io/etcd#15220) or never come for a watch that had no events yet
 * (etcd-io/etcd#17557), and jetcd resumes a broken watch after the revision of the answer, so a
 * change could be lost. Progress is therefore asked only while every member of the cluster runs a
 * version with both fixes: that is checked in the background at the first use and again every
 * minute (a member can be replaced by an older one); until a check has answered, nothing is asked.
 */
public final class WatchProgress {

	private static final Log logger = LogFactory.getLog(WatchProgress.class);

	private static final Pattern VERSION = Pattern.compile("^v?(\\d+)\\.(\\d+)\\.(\\d+)");

	private static final long RECHECK_NANOS = Duration.ofMinutes(1).toNanos();

	private final @Nullable EtcdTemplate etcd;

	private final Duration interval;

	private final AtomicBoolean checking = new AtomicBoolean();

	// asked by the owner of a watch when it wants, not every interval
	private final boolean onRequest;

	private volatile @Nullable Verdict verdict;

	/**
	 * Create one for a client.
	 * @param etcd the etcd access
	 * @param interval how often a watch asks, {@link Duration#ZERO} for never
	 */
	public WatchProgress(EtcdTemplate etcd, Duration interval) {
		this(etcd, interval, false);
	}

	private WatchProgress(EtcdTemplate etcd, Duration interval, boolean onRequest) {
		Assert.isTrue(!interval.isNegative(), "interval must not be negative");
		this.etcd = etcd;
		this.interval = interval;
		this.onRequest = onRequest;
	}

	private WatchProgress() {
		this.etcd = null;
		this.interval = Duration.ZERO;
		this.onRequest = false;
	}

	/**
	 * Ask when the owner of a watch wants to know, not every interval: the progress of the watches
	 * of {@link EtcdTemplate#watch}.
	 * @param etcd the etcd access
	 * @return a progress asked on request
	 */
	public static WatchProgress onRequest(EtcdTemplate etcd) {
		return new WatchProgress(etcd, Duration.ofMinutes(1), true);
	}

	/**
	 * Never ask.
	 * @return a progress that is never asked
	 */
	public static WatchProgress off() {
		return new WatchProgress();
	}

	/**
	 * How often a watch asks, {@link Duration#ZERO} for never.
	 * @return the interval
	 */
	public Duration interval() {
		return (this.etcd != null) ? this.interval : Duration.ZERO;
	}

	/**
	 * Whether a watch may ask now, from the last check of the members' versions; starts a new check
	 * in the background when there was none or it is a minute old. Never waits for etcd.
	 * @return whether every member answered with a version whose progress answers can be trusted
	 */
	public boolean trusted() {
		EtcdTemplate etcd = this.etcd;
		if (etcd == null || this.interval.isZero()) {
			return false;
		}
		Verdict verdict = this.verdict;
		if ((verdict == null || System.nanoTime() - verdict.checkedAt() > RECHECK_NANOS)
				&& this.checking.compareAndSet(false, true)) {
			check(etcd).whenComplete((checked, failure) -> {
				this.checking.set(false);
				Verdict before = this.verdict;
				Verdict now = (failure != null) ? new Verdict(false, "(version unknown: " + FailureDescription.describe(failure, etcd) + ")",
						System.nanoTime()) : checked;
				this.verdict = now;
				// said once a version is known: while etcd cannot be reached there is nothing to say
				if (failure == null && (before == null || before.trusted() != now.trusted()
						|| before.versions().startsWith("(version unknown"))) {
					if (this.onRequest) {
						logger.info(now.trusted()
								? "etcd " + now.versions() + " on every member: KeyWatch.requestProgress() asks etcd"
								: "etcd " + now.versions() + " answers watch progress requests out of order (fixed in"
										+ " 3.4.31 and 3.5.13): KeyWatch.requestProgress() reads the watched keys instead");
					}
					else {
						logger.info(now.trusted()
								? "etcd " + now.versions() + " on every member: watches confirm their progress every "
										+ this.interval.toMillis() + " ms"
								: "etcd " + now.versions() + " answers watch progress requests out of order (fixed in"
										+ " 3.4.31 and 3.5.13): watches rely on their events alone, without progress checks");
					}
				}
			});
		}
		return verdict != null && verdict.trusted();
	}

	/**
	 * Whether a version of etcd answers progress requests in order with its events:
	 * 3.4.31 or later in 3.4, 3.5.13 or later in 3.5, any later minor version.
	 * @param version the version a member reports, like {@code 3.5.16}
	 * @return whether it does
	 */
	public static boolean answersInOrder(String version) {
		Matcher matcher = VERSION.matcher(version.trim());
		if (!matcher.find()) {
			return false;
		}
		int major = Integer.parseInt(matcher.group(1));
		int minor = Integer.parseInt(matcher.group(2));
		int patch = Integer.parseInt(matcher.group(3));
		if (major != 3) {
			return major > 3;
		}
		return switch (minor) {
			case 0, 1, 2, 3 -> false;
			case 4 -> patch >= 31;
			case 5 -> patch >= 13;
			default -> true;
		};
	}

	private static CompletableFuture<Verdict> check(EtcdTemplate etcd) {
		Duration timeout = etcd.getRequestTimeout();
		return etcd.callAsync("list members", timeout, () -> etcd.getClient().getClusterClient().listMember())
			.thenCompose((response) -> {
				List<CompletableFuture<@Nullable String>> versions = new ArrayList<>();
				for (Member member : response.getMembers()) {
					URI endpoint = member.getClientURIs().isEmpty() ? null : member.getClientURIs().get(0);
					versions.add((endpoint != null)
							? etcd.status(endpoint, timeout).thenApply(StatusResponse::getVersion)
							: CompletableFuture.completedFuture(null));
				}
				return CompletableFuture.allOf(versions.toArray(CompletableFuture[]::new)).thenApply((all) -> {
					TreeSet<String> seen = new TreeSet<>();
					boolean trusted = !versions.isEmpty();
					for (CompletableFuture<@Nullable String> version : versions) {
						String value = version.join();
						seen.add(Objects.requireNonNullElse(value, "(a member not started)"));
						trusted &= value != null && answersInOrder(value);
					}
					return new Verdict(trusted, String.join(", ", seen), System.nanoTime());
				});
			});
	}

	private record Verdict(boolean trusted, String versions, long checkedAt) {
	}

}
