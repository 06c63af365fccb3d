package dev.coordination.config.internal;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.coordination.config.FeatureFlags;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.PrefixMirror;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import io.etcd.jetcd.KeyValue;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * {@link FeatureFlags} under a prefix in etcd, read at one revision and watched from the next. The
 * watch starts at the first use, so an application that never asks for a flag costs etcd nothing.
 * Until etcd was read, every flag is off.
 */
public class EtcdFeatureFlags implements FeatureFlags, SmartLifecycle {

	private static final Log logger = LogFactory.getLog(EtcdFeatureFlags.class);

	private final EtcdTemplate etcd;

	private final RetryPolicy retry;

	private final WatchProgress progress;

	private final String prefix;

	private final Object monitor = new Object();

	private volatile Map<String, Boolean> flags = Map.of();

	private volatile long revision;

	private @Nullable PrefixMirror mirror;

	private boolean stopped;

	// after the first wait for etcd, flags answer at once: off until etcd was read
	private volatile boolean waited;

	/**
	 * Create the flags.
	 * @param etcd the etcd access
	 * @param prefix the normalised prefix of the flags, for example {@code /flags}
	 * @param retry how to wait before reading again after a failed read
	 * @param progress whether and how often its watch asks etcd how far it is
	 */
	public EtcdFeatureFlags(EtcdTemplate etcd, String prefix, RetryPolicy retry, WatchProgress progress) {
		this.etcd = etcd;
		this.retry = retry;
		this.progress = progress;
		this.prefix = prefix + "/";
	}

	@Override
	public boolean isEnabled(String name) {
		String key = key(name);
		awaitRead(0);
		return this.flags.getOrDefault(EtcdKeys.name(key.substring(this.prefix.length())), false);
	}

	@Override
	public void enable(String name) {
		set(name, true);
	}

	@Override
	public void disable(String name) {
		set(name, false);
	}

	@Override
	public Map<String, Boolean> all() {
		awaitRead(0);
		return this.flags;
	}

	/**
	 * The revision the flags are current to.
	 * @return the revision, 0 before etcd was read
	 */
	public long revision() {
		return this.revision;
	}

	private void set(String name, boolean enabled) {
		long revision = this.etcd.put(key(name), Boolean.toString(enabled)).getHeader().getRevision();
		// read your own write: wait for the watch to bring it
		awaitRead(revision);
	}

	private String key(String name) {
		return this.prefix + EtcdKeys.segment("feature flag name", name);
	}

	private void awaitRead(long revision) {
		if (revision == 0 && this.waited) {
			return;
		}
		synchronized (this.monitor) {
			if (this.mirror == null && !this.stopped) {
				this.mirror = new PrefixMirror(this.etcd, "flags", List.of(this.prefix), (key) -> true, Duration.ZERO,
						this.retry, this.progress, new PrefixMirror.Handler() {

							@Override
							public void changed(Map<String, KeyValue> kvs, Set<String> changed, long revision,
									long receivedAt) {
								EtcdFeatureFlags.this.changed(kvs, changed, revision);
							}

							@Override
							public void progressed(long revision) {
								EtcdFeatureFlags.this.progressed(revision);
							}

						});
				this.mirror.start(0, List.of());
			}
			long deadline = System.nanoTime() + this.etcd.getRequestTimeout().toNanos();
			while ((this.revision == 0 || this.revision < revision) && !this.stopped) {
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					this.waited = true;
					// the mirror warns why it could not read (one line); this says what it means
					logger.info("Feature flags under " + this.prefix + " are not read from etcd yet: "
							+ ((this.revision == 0) ? "every flag is off" : "they are at revision " + this.revision));
					return;
				}
				try {
					this.monitor.wait(Math.max(1, left / 1_000_000));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
			this.waited = true;
		}
	}

	private void progressed(long revision) {
		synchronized (this.monitor) {
			if (this.revision > 0 && revision > this.revision) {
				this.revision = revision;
				this.monitor.notifyAll();
			}
		}
	}

	private void changed(Map<String, KeyValue> kvs, Set<String> changed, long revision) {
		Map<String, Boolean> flags = new TreeMap<>();
		kvs.forEach((key, kv) -> {
			String segment = key.substring(this.prefix.length());
			if (segment.isEmpty() || segment.contains("/")) {
				return;
			}
			String value = EtcdKeys.string(kv.getValue()).trim().toLowerCase(Locale.ROOT);
			if (!value.equals("true") && !value.equals("false") && changed.contains(key)) {
				logger.warn("Feature flag " + key + " holds '" + value + "', which is neither true nor false: it is off");
			}
			flags.put(EtcdKeys.name(segment), value.equals("true"));
		});
		synchronized (this.monitor) {
			this.flags = Collections.unmodifiableMap(flags);
			this.revision = revision;
			this.monitor.notifyAll();
		}
	}

	@Override
	public void start() {
		// the watch starts at the first use
	}

	@Override
	public void stop() {
		PrefixMirror mirror;
		synchronized (this.monitor) {
			this.stopped = true;
			mirror = this.mirror;
			this.mirror = null;
			this.monitor.notifyAll();
		}
		if (mirror != null) {
			mirror.stop();
		}
	}

	@Override
	public boolean isRunning() {
		synchronized (this.monitor) {
			return !this.stopped;
		}
	}

}
