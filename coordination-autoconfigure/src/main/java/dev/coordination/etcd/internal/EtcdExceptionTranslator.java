package dev.coordination.etcd.internal;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

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
			case UNAVAILABLE, CANCELLED -> new EtcdUnavailableException(operation, description, cause);
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

	// gRPC often reports the code at the top ("UNAUTHENTICATED") and the reason in a cause
	// ("etcdserver: authentication failed, invalid user ID or password"): report both.
	private static String describe(Status.Code code, Throwable cause) {
		String detail = null;
		Throwable current = cause;
		for (int depth = 0; current != null && depth < 10 && detail == null; depth++) {
			detail = detail(current);
			current = current.getCause();
		}
		if (detail == null) {
			return code.name();
		}
		return detail.startsWith(code.name()) ? detail : code.name() + ": " + detail;
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
