package dev.coordination.etcd.internal;

import java.net.ConnectException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.EtcdTimeoutException;
import dev.coordination.etcd.EtcdUnavailableException;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

class FailureDescriptionTests {

	@Test
	void aRefusedConnectionUnderAnUnavailableStatusSaysRefusedAndWhere() {
		// what grpc-netty reports: UNAVAILABLE "io exception", caused by Netty's AnnotatedConnectException
		Throwable failure = new ExecutionException(Status.UNAVAILABLE.withDescription("io exception")
			.withCause(new ConnectException("Connection refused: /127.0.0.1:2379"))
			.asRuntimeException());
		assertThat(FailureDescription.describe(EtcdExceptionTranslator.translate("get /a", failure)))
			.isEqualTo("etcd refused the connection to 127.0.0.1:2379");
	}

	@Test
	void aDeadlineWhoseLastPickFailedOnARefusedConnectionSaysRefused() {
		Throwable failure = Status.DEADLINE_EXCEEDED
			.withDescription("CallOptions deadline exceeded after 4.884730293s. Name resolution delay 0.000 seconds."
					+ " [closed=[], open=[[wait_for_ready, Last Pick Failure=io.grpc.netty.shaded.io.netty.channel."
					+ "AbstractChannel$AnnotatedConnectException: Connection refused: /127.0.0.1:1]]]")
			.asRuntimeException();
		assertThat(FailureDescription.describe(failure)).isEqualTo("etcd refused the connection to 127.0.0.1:1");
	}

	@Test
	void aTimeoutSaysHowLongAndWhichPropertyWithoutTheOutcomeOrTheStatusDump() {
		EtcdTimeoutException timeout = new EtcdTimeoutException("read /config/", Duration.ofMillis(5000),
				"coordination.etcd.request-timeout", new TimeoutException());
		assertThat(FailureDescription.describe(new CompletionException(timeout)))
			.isEqualTo("etcd did not answer within 5000 ms (coordination.etcd.request-timeout)");
	}

	@Test
	void statusCodesAreWordsWithoutTheirDescription() {
		assertThat(FailureDescription.describe(EtcdExceptionTranslator.translate("put /a",
				Status.UNAVAILABLE.withDescription("Network closed for unknown reason").asRuntimeException())))
			.isEqualTo("etcd is unavailable");
		assertThat(FailureDescription.describe(Status.DEADLINE_EXCEEDED
			.withDescription("CallOptions deadline exceeded after 4.88s. Name resolution delay ...")
			.asRuntimeException())).isEqualTo("etcd did not answer in time");
		assertThat(FailureDescription.describe(Status.RESOURCE_EXHAUSTED.asRuntimeException()))
			.isEqualTo("etcd refused the request as too large or over its quota");
	}

	@Test
	void wrongCredentialsSayRefusedWithEtcdsReason() {
		EtcdAccessException ex = EtcdExceptionTranslator.translate("get /a", new CompletionException(
				EtcdExceptionFactory.newEtcdException(ErrorCode.INVALID_ARGUMENT,
						"etcdserver: authentication failed, invalid user ID or password")));
		assertThat(FailureDescription.describe(ex))
			.isEqualTo("etcd refused the credentials (authentication failed, invalid user ID or password)");
	}

	@Test
	void ourOwnUnavailableWithoutAStatusKeepsItsReason() {
		assertThat(FailureDescription.describe(new EtcdUnavailableException("get /a", "the etcd client is closed", null)))
			.isEqualTo("etcd is unavailable (the etcd client is closed)");
	}

	@Test
	void anythingElseIsItsTypeAndFirstLine() {
		assertThat(FailureDescription.describe(new IllegalStateException("broken\nsecond line")))
			.isEqualTo("IllegalStateException: broken");
		assertThat(FailureDescription.isAvailability(new IllegalStateException("broken"))).isFalse();
		assertThat(FailureDescription.isAvailability(new ExecutionException(new TimeoutException()))).isTrue();
	}

	@Test
	void aTimeoutWhileTheClientCannotConnectSaysSo() throws Exception {
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		try (Client client = Client.builder().endpoints("http://127.0.0.1:" + port).build()) {
			EtcdTemplate etcd = new EtcdTemplate(client, Duration.ofMillis(300));
			// the first call starts connecting; once that was refused the channel is in TRANSIENT_FAILURE
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				EtcdAccessException ex = catchThrowableOfType(EtcdAccessException.class, () -> etcd.get("/a"));
				assertThat(FailureDescription.describe(ex, etcd)).isEqualTo("connecting to etcd at 127.0.0.1:" + port
						+ " fails: refused or unreachable (no answer within 300 ms, coordination.etcd.request-timeout)");
			});
		}
	}

	@Test
	void aCauseChainWithACycleEnds() {
		RuntimeException a = new RuntimeException("a");
		RuntimeException b = new RuntimeException("b", a);
		a.initCause(b);
		assertThat(FailureDescription.describe(b)).isEqualTo("RuntimeException: a");
	}

}
