package dev.coordination.autoconfigure.config;

import dev.coordination.config.internal.EtcdConfigSource;
import dev.coordination.config.internal.InvalidImportProperty;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;

/**
 * Fails start-up when a required {@code spring.config.import=etcd:} could not be read, or a
 * {@code coordination.*} property that the import reads is bad, right after Spring Boot set up
 * logging.
 * <p>
 * Configuration data is loaded before logging is set up: an exception thrown there is reported by
 * Logback's default configuration, in another format than the application's and, without a
 * failure analyzer, as a raw stack trace. The loader keeps the failure instead, and this listener,
 * ordered after {@link LoggingApplicationListener}, throws it, so that the starter's failure
 * analyzer reports it in Spring Boot's "APPLICATION FAILED TO START" block, logged like the
 * application's other lines.
 */
public class EtcdConfigImportFailureListener implements ApplicationListener<ApplicationEnvironmentPreparedEvent>, Ordered {

	@Override
	public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
		if (event.getBootstrapContext().isRegistered(InvalidImportProperty.class)) {
			InvalidImportProperty invalid = event.getBootstrapContext().get(InvalidImportProperty.class);
			if (invalid != null) {
				throw invalid.failure();
			}
		}
		if (event.getBootstrapContext().isRegistered(EtcdConfigSource.class)) {
			EtcdConfigSource source = event.getBootstrapContext().get(EtcdConfigSource.class);
			if (source != null) {
				source.throwRequiredFailure();
			}
		}
	}

	@Override
	public int getOrder() {
		return LoggingApplicationListener.DEFAULT_ORDER + 1;
	}

}
