package dev.coordination.etcd.internal;

import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdAuthenticationException;
import dev.coordination.etcd.EtcdCompactedException;
import dev.coordination.etcd.EtcdInterruptedException;
import dev.coordination.etcd.EtcdNotFoundException;
import dev.coordination.etcd.EtcdUnavailableException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EtcdExceptionTranslatorTests {

	@Test
	void unavailableInsideExecutionExceptionIsUnavailable() {
		EtcdAccessException ex = EtcdExceptionTranslator.translate("put /a",
				new ExecutionException(Status.UNAVAILABLE.withDescription("io exception").asRuntimeException()));
		assertThat(ex).isInstanceOf(EtcdUnavailableException.class)
			.hasMessage("etcd put /a failed: etcd is unavailable (the connection failed or etcd has no leader)");
		assertThat(ex.getOperation()).isEqualTo("put /a");
	}

	@Test
	void refusedConnectionSaysSoInWords() {
		EtcdAccessException ex = EtcdExceptionTranslator.translate("get /a", new ExecutionException(Status.UNAVAILABLE
			.withDescription("io exception")
			.withCause(new ConnectException("Connection refused: /127.0.0.1:2379"))
			.asRuntimeException()));
		assertThat(ex).isInstanceOf(EtcdUnavailableException.class)
			.hasMessage("etcd get /a failed: etcd refused the connection");
	}

	@Test
	void grpcStatusTextStaysInTheCause() {
		String raw = "CallOptions deadline exceeded after 4.884730293s. Name resolution delay 0.000 seconds."
				+ " [closed=[], open=[[wait_for_ready, Last Pick Failure=UNAVAILABLE]]]";
		EtcdAccessException ex = EtcdExceptionTranslator.translate("put /a",
				Status.DEADLINE_EXCEEDED.withDescription(raw).asRuntimeException());
		assertThat(ex).hasMessage("etcd put /a failed: etcd did not answer in time");
		assertThat(ex.getCause()).hasMessageContaining(raw);
	}

	@Test
	void etcdsOwnReasonIsKeptWithoutTheStatusCode() {
		assertThat(EtcdExceptionTranslator.translate("put /x",
				Status.PERMISSION_DENIED.withDescription("etcdserver: permission denied").asRuntimeException()))
			.hasMessage("etcd put /x failed: permission denied");
	}

	@Test
	void wrongCredentialsAreAuthenticationFailures() {
		EtcdAccessException ex = EtcdExceptionTranslator.translate("get /a", new CompletionException(
				EtcdExceptionFactory.newEtcdException(ErrorCode.INVALID_ARGUMENT,
						"etcdserver: authentication failed, invalid user ID or password")));
		assertThat(ex).isInstanceOf(EtcdAuthenticationException.class).hasMessageContaining("authentication failed");
	}

	@Test
	void permissionDeniedIsAnAuthenticationFailure() {
		assertThat(EtcdExceptionTranslator.translate("put /x",
				Status.PERMISSION_DENIED.withDescription("etcdserver: permission denied").asRuntimeException()))
			.isInstanceOf(EtcdAuthenticationException.class);
	}

	@Test
	void leaseNotFoundIsNotFound() {
		assertThat(EtcdExceptionTranslator.translate("keep-alive lease 7",
				EtcdExceptionFactory.newEtcdException(ErrorCode.NOT_FOUND, "etcdserver: requested lease not found")))
			.isInstanceOf(EtcdNotFoundException.class);
	}

	@Test
	void compactionKeepsTheCompactedRevision() {
		EtcdAccessException ex = EtcdExceptionTranslator.translate("watch /config",
				EtcdExceptionFactory.newCompactedException(42));
		assertThat(ex).isInstanceOf(EtcdCompactedException.class);
		assertThat(((EtcdCompactedException) ex).getCompactedRevision()).isEqualTo(42);
	}

	@Test
	void interruptionRestoresTheFlag() {
		try {
			EtcdAccessException ex = EtcdExceptionTranslator.translate("get /a", new InterruptedException());
			assertThat(ex).isInstanceOf(EtcdInterruptedException.class);
			assertThat(Thread.currentThread().isInterrupted()).isTrue();
		}
		finally {
			Thread.interrupted();
		}
	}

	@Test
	void alreadyTranslatedIsKept() {
		EtcdAccessException original = new EtcdUnavailableException("get /a", "down", null);
		assertThat(EtcdExceptionTranslator.translate("other", new CompletionException(original))).isSameAs(original);
	}

	@Test
	void unknownFailureKeepsItsMessage() {
		assertThat(EtcdExceptionTranslator.translate("txn /a", new IllegalStateException("boom")))
			.isExactlyInstanceOf(EtcdAccessException.class)
			.hasMessageContaining("boom")
			.hasMessageContaining("txn /a");
	}

}
