package dev.coordination.etcd.internal;

import org.apache.commons.logging.Log;
import org.jspecify.annotations.Nullable;

/**
 * Logs a failure that repeats on every retry once: the first failure at WARN as one line, every
 * further failure at DEBUG (with its stack trace) until {@link #recovered(String) it recovers},
 * which is logged once at INFO. The stack trace of every failure is at DEBUG.
 * <p>
 * One instance per thing that fails and retries (a mirror's read, the session's grant); thread
 * safe.
 */
public final class RepeatedFailureLog {

	private final Log logger;

	private boolean failing;

	// the kind of the failure logged at WARN: another kind is a new failure, logged at WARN again
	private @Nullable String kind;

	/**
	 * Create an instance writing to {@code logger}.
	 * @param logger the logger of the class that retries
	 */
	public RepeatedFailureLog(Log logger) {
		this.logger = logger;
	}

	/**
	 * A failure: at WARN when it is the first since the last recovery, at DEBUG otherwise.
	 * @param message one line: what failed, which key or name, why in words, and what happens next
	 * @param failure the failure, logged at DEBUG only
	 * @return whether this was logged at WARN
	 */
	public boolean failed(String message, @Nullable Throwable failure) {
		return failed("", message, failure);
	}

	/**
	 * A failure of a kind: at WARN when it is the first since the last recovery or of another kind
	 * than the one logged at WARN before (an etcd outage after an instance id conflict, say), at
	 * DEBUG otherwise.
	 * @param kind what kind of failure it is, for example "conflict" or "etcd"
	 * @param message one line: what failed, which key or name, why in words, and what happens next
	 * @param failure the failure, logged at DEBUG only
	 * @return whether this was logged at WARN
	 */
	public boolean failed(String kind, String message, @Nullable Throwable failure) {
		boolean first;
		synchronized (this) {
			first = !this.failing || !kind.equals(this.kind);
			this.failing = true;
			this.kind = kind;
		}
		if (first) {
			this.logger.warn(message);
			if (failure != null && this.logger.isDebugEnabled()) {
				this.logger.debug(message, failure);
			}
		}
		else if (this.logger.isDebugEnabled()) {
			this.logger.debug("Again: " + message, failure);
		}
		return first;
	}

	/**
	 * It worked: one INFO line when a failure was logged since the last recovery, nothing otherwise.
	 * @param message what recovered, for example "Reading /config/ (config) from etcd works again"
	 */
	public void recovered(String message) {
		boolean was;
		synchronized (this) {
			was = this.failing;
			this.failing = false;
		}
		if (was) {
			this.logger.info(message);
		}
	}

	/**
	 * It worked, and the caller logs that itself: forget the failure without logging.
	 * @return whether a failure was logged since the last recovery
	 */
	public synchronized boolean reset() {
		boolean was = this.failing;
		this.failing = false;
		return was;
	}

	/**
	 * Whether a failure was logged and it has not recovered since.
	 * @return whether failing
	 */
	public synchronized boolean isFailing() {
		return this.failing;
	}

}
