package dev.coordination.etcd.internal;

import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdAuthenticationException;
import dev.coordination.etcd.EtcdCompactedException;
import dev.coordination.etcd.EtcdInterruptedException;
import dev.coordination.etcd.EtcdNotFoundException;
import dev.coordination.etcd.EtcdUnavailableException;
import io.etcd.jetcd.common.exception.ClosedClientException;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.jspecify.annotations.Nullable;

/**
 * Turns whatever jetcd, gRPC or a future reported into one {@link EtcdAccessException}.
 * <p>
 * jetcd reports failures as {@code StatusRuntimeException} wrapped in {@code ExecutionException},
 * as {@link EtcdException} with an {@link ErrorCode}, or as its own subclasses; callers of this
 * starter see one hierarchy instead.
 */
public final class EtcdExceptionTranslator {

	private EtcdExceptionTranslator() {
	}

	/**
	 * Translate a failure of {@code operation}.
	 * @param operation what was being done, for example {@code get /config/app}
	 * @param failure what jetcd, gRPC or the future reported
	 * @return the translated exception, never {@code null}
	 */
	public static EtcdAccessException translate(String operation, Throwable failure) {
		Throwable cause = unwrap(failure);
		if (cause instanceof EtcdAccessException translated) {
			return translated;
		}
		if (cause instanceof InterruptedException interrupted) {
			Thread.currentThread().interrupt();
			return new EtcdInterruptedException(operation, interrupted);
		}
		if (cause instanceof CompactedException compacted) {
			return new EtcdCompactedException(operation, compacted.getCompactedRevision(), compacted);
		}
		if (cause instanceof ClosedClientException) {
			return new EtcdUnavailableException(operation, "the etcd client is closed", cause);
		}
		Status.Code code = code(cause);
		String description = describe(code, cause);
		return switch (code) {
			case UNAVAILABLE -> new EtcdUnavailableException(operation, description, cause);
			// a watch refused by etcd arrives as a cancel with etcd's reason (jetcd's WatchImpl)
			case CANCELLED -> isAuthentication(description)
					? new EtcdAuthenticationException(operation, description, cause)
					: new EtcdUnavailableException(operation, description, cause);
			case UNAUTHENTICATED, PERMISSION_DENIED -> new EtcdAuthenticationException(operation, description, cause);
			case NOT_FOUND -> new EtcdNotFoundException(operation, description, cause);
			case OUT_OF_RANGE -> isCompaction(description)
					? new EtcdCompactedException(operation, -1, cause)
					: new EtcdAccessException(operation, description, cause);
			case INVALID_ARGUMENT, FAILED_PRECONDITION -> isAuthentication(description)
					? new EtcdAuthenticationException(operation, description, cause)
					: new EtcdAccessException(operation, description, cause);
			default -> new EtcdAccessException(operation, description, cause);
		};
	}

	private static Throwable unwrap(Throwable failure) {
		Throwable current = failure;
		while ((current instanceof CompletionException || current instanceof ExecutionException)
				&& current.getCause() != null) {
			current = current.getCause();
		}
		return current;
	}

	private static Status.Code code(Throwable cause) {
		if (cause instanceof EtcdException etcd) {
			return etcd.getErrorCode() != null ? Status.Code.valueOf(etcd.getErrorCode().name())
					: Status.Code.UNKNOWN;
		}
		return Status.fromThrowable(cause).getCode();
	}

	// One sentence in words: what etcd said ("etcdserver: authentication failed, ...") or what the
	// connection did. gRPC's own text (status code, "CallOptions deadline exceeded after 4.88s. Name
	// resolution delay ... [closed=[], open=[[wait_for_ready, ...") stays in the cause.
	private static String describe(Status.Code code, Throwable cause) {
		String said = etcdSaid(cause);
		if (said != null) {
			return said;
		}
		if (has(cause, ConnectException.class)) {
			return "etcd refused the connection";
		}
		if (has(cause, SSLException.class)) {
			return "the TLS handshake with etcd failed";
		}
		return switch (code) {
			case UNAVAILABLE -> "etcd is unavailable (the connection failed or etcd has no leader)";
			case CANCELLED -> "the call was cancelled";
			case DEADLINE_EXCEEDED -> "etcd did not answer in time";
			case UNAUTHENTICATED -> "etcd refused the credentials";
			case PERMISSION_DENIED -> "etcd denied permission";
			case RESOURCE_EXHAUSTED -> "etcd refused the request as too large or too many";
			default -> words(code, cause);
		};
	}

	/**
	 * What etcd said about a failure, in its words without gRPC's status text, for example
	 * {@code authentication failed, invalid user ID or password}.
	 * @param failure the failure
	 * @return the reason, or the failure's message when etcd said nothing
	 */
	public static String reason(Throwable failure) {
		String said = etcdSaid(failure);
		if (said != null) {
			return said;
		}
		String message = failure.getMessage();
		return (message != null) ? message : failure.getClass().getSimpleName();
	}

	// etcd's own reasons start with "etcdserver: " (or "etcdserver: " after gRPC's "CODE: ")
	private static @Nullable String etcdSaid(Throwable failure) {
		Throwable current = failure;
		for (int depth = 0; current != null && depth < 10; depth++) {
			String detail = detail(current);
			if (detail != null) {
				int at = detail.indexOf("etcdserver: ");
				if (at >= 0) {
					return firstSentence(detail.substring(at + "etcdserver: ".length()));
				}
			}
			current = current.getCause();
		}
		return null;
	}

	private static String words(Status.Code code, Throwable cause) {
		String detail = null;
		Throwable current = cause;
		for (int depth = 0; current != null && depth < 10 && detail == null; depth++) {
			detail = detail(current);
			current = current.getCause();
		}
		if (detail == null) {
			return "etcd answered " + code.name();
		}
		if (detail.startsWith(code.name() + ": ")) {
			detail = detail.substring(code.name().length() + 2);
		}
		return firstSentence(detail);
	}

	private static String firstSentence(String text) {
		String sentence = text.strip();
		for (String end : new String[] { "\n", " [", ". " }) {
			int at = sentence.indexOf(end);
			if (at > 0) {
				sentence = sentence.substring(0, at);
			}
		}
		return (sentence.length() > 200) ? sentence.substring(0, 200) + "..." : sentence;
	}

	private static boolean has(Throwable failure, Class<? extends Throwable> type) {
		Throwable current = failure;
		for (int depth = 0; current != null && depth < 10; depth++) {
			if (type.isInstance(current)) {
				return true;
			}
			current = current.getCause();
		}
		return false;
	}

	private static @Nullable String detail(Throwable failure) {
		String detail = (failure instanceof StatusRuntimeException || failure instanceof StatusException)
				? Status.fromThrowable(failure).getDescription() : failure.getMessage();
		return (detail == null || detail.isBlank()) ? null : detail;
	}

	private static boolean isCompaction(String description) {
		return description.contains("compacted");
	}

	// etcd reports wrong credentials as INVALID_ARGUMENT "authentication failed, invalid user ID
	// or password" and a missing or stale token as FAILED_PRECONDITION / INVALID_ARGUMENT.
	private static boolean isAuthentication(String description) {
		return description.contains("authentication failed") || description.contains("user name is empty")
				|| description.contains("invalid auth token") || description.contains("permission denied")
				|| description.contains("user name not found");
	}

}
