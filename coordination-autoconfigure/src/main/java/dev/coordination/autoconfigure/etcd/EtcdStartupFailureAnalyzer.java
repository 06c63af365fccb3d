package dev.coordination.autoconfigure.etcd;

import dev.coordination.etcd.internal.EtcdStartupException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a start-up that failed because etcd could not be used (refused the connection, did not
 * answer in time, refused the credentials, failed the TLS handshake) in Spring Boot's "APPLICATION
 * FAILED TO START" block: what etcd did, naming the endpoints, and the property to change.
 */
class EtcdStartupFailureAnalyzer extends AbstractFailureAnalyzer<EtcdStartupException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, EtcdStartupException cause) {
		return new FailureAnalysis(cause.getDescription(), cause.getAction(), cause);
	}

}
