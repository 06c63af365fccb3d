package dev.coordination.config.internal;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.coordination.config.ConfigListener;
import dev.coordination.config.internal.ConfigChange.Rejection;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.PrefixMirror;
import io.etcd.jetcd.KeyValue;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * The watch's handler of the imported configuration: each batch of changes is checked by
 * {@link ConfigChangeValidator}, then applied by {@link ConfigChangeApplier}.
 * <p>
 * What is left out of a change is recorded as the state's last error (health) and logged at ERROR
 * once while the same bad value stays in etcd; a change that applies completely clears the error.
 * Each refresh is measured as {@code applied}, {@code rejected} (something was left out) or
 * {@code failed} (applying threw: the configuration before the change stays). Runs on the
 * configuration's thread, one batch at a time.
 */
final class ConfigRefresher implements PrefixMirror.Handler {

	private static final Log logger = LogFactory.getLog(ConfigRefresher.class);

	private final EtcdConfigState state;

	private final ConfigMetrics metrics;

	private final ConfigChangeValidator validator;

	private final ConfigChangeApplier applier;

	// what was left out and logged already, so that a bad value that stays in etcd is logged once
	private final Set<String> reported = new HashSet<>();

	ConfigRefresher(EtcdConfigState state, ConfigurableApplicationContext context, ConfigMetrics metrics,
			Object eventSource, CoordinationEvents events, List<ConfigListener> listeners) {
		this.state = state;
		this.metrics = metrics;
		this.validator = new ConfigChangeValidator(state, context);
		this.applier = new ConfigChangeApplier(state, context, eventSource, events, listeners);
	}

	@Override
	public void connected(boolean connected) {
		this.state.stale(!connected);
	}

	@Override
	public void changed(Map<String, KeyValue> kvs, Set<String> changedKeys, long revision, long receivedAt) {
		try {
			refresh(kvs, revision, receivedAt);
		}
		catch (RuntimeException ex) {
			this.metrics.refreshed("failed", System.nanoTime() - receivedAt);
			this.state.rejected("Applying revision " + revision + " failed: " + ex);
			throw ex;
		}
	}

	private void refresh(Map<String, KeyValue> kvs, long revision, long receivedAt) {
		boolean first = !this.state.isLoaded();
		ConfigChange change = this.validator.validate(kvs, revision);
		change.rejections().forEach(this::reject);
		if (change.isComplete()) {
			// health tells the error is gone by the time the configuration is there
			this.state.clearError();
			this.reported.clear();
		}
		String outcome = change.isComplete() ? "applied" : "rejected";
		this.applier.apply(change, () -> this.metrics.refreshed(outcome, this.state.appliedAt() - receivedAt));
		if (first) {
			logger.info("Configuration from etcd " + this.state.contexts() + " added at revision " + revision);
		}
	}

	private void reject(Rejection rejection) {
		this.state.rejected(rejection.message());
		if (this.reported.add(rejection.id())) {
			logger.error(rejection.message());
		}
	}

}
