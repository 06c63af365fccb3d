package dev.coordination.etcd.internal;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLException;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdAuthenticationException;
import dev.coordination.etcd.EtcdCompactedException;
import dev.coordination.etcd.EtcdInterruptedException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.EtcdTimeoutException;
import dev.coordination.etcd.EtcdUnavailableException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.jspecify.annotations.Nullable;

/**
 * Says in words why a call to etcd failed, for a log line: "etcd refused the connection to
 * 127.0.0.1:2379", "etcd did not answer within 5000 ms (coordination.etcd.request-timeout)",
 * "etcd refused the credentials". gRPC's status dumps ({@code DEADLINE_EXCEEDED: CallOptions
 * deadline exceeded after 4.88s. Name resolution delay ...}) and stack traces belong at DEBUG.
 * <p>
 * The cause chain is walked (at most {@value #MAX_DEPTH} deep): the most telling cause wins, a
 * refused connection before a credentials problem before a timeout before gRPC's status code.
 */
public final class FailureDescription {

	private static final int MAX_DEPTH = 16;

	private static final String ETCD_SERVER = "etcdserver: ";

	private static final Pattern PROPERTY = Pattern.compile("\\((coordination\\.[a-z.\\-]+)\\)");

	private static final Pattern ADDRESS = Pattern.compile("(?:refused|Connection refused)[^/]*/?([\\w.\\-\\[\\]:]+:\\d+)");

	private FailureDescription() {
	}

	/**
	 * Describe {@code failure} in words, without its stack trace or gRPC's status description.
	 * @param failure what a call to etcd threw or completed with
	 * @return one line, never {@code null}
	 */
	public static String describe(Throwable failure) {
		List<Throwable> chain = chain(failure);
		for (Throwable cause : chain) {
			String refused = refused(cause);
			if (refused != null) {
				return refused;
			}
		}
		for (Throwable cause : chain) {
			if (cause instanceof UnknownHostException) {
				return "etcd's host name " + quoted(cause.getMessage()) + "could not be resolved";
			}
			if (cause instanceof NoRouteToHostException) {
				return "there is no route to etcd's host";
			}
			if (cause instanceof SSLException) {
				return "the TLS handshake with etcd failed (" + firstLine(cause.getMessage()) + ")";
			}
		}
		for (Throwable cause : chain) {
			if (cause instanceof EtcdAuthenticationException || isStatus(cause, Status.Code.UNAUTHENTICATED)) {
				return "etcd refused the credentials" + detail(chain);
			}
			if (isStatus(cause, Status.Code.PERMISSION_DENIED)) {
				return "etcd denied the permission" + detail(chain);
			}
		}
		for (Throwable cause : chain) {
			if (cause instanceof EtcdTimeoutException timeout) {
				String detail = ownDetail(timeout);
				if (!detail.startsWith("no answer within")) {
					// the template already said why (ConnectionDiagnosis): "connecting to etcd at ... fails: ... (...)"
					return detail.replace("; the outcome is unknown)", ")");
				}
				Matcher property = PROPERTY.matcher(String.valueOf(timeout.getMessage()));
				return "etcd did not answer within " + timeout.getTimeout().toMillis() + " ms"
						+ (property.find() ? " (" + property.group(1) + ")" : "");
			}
			if (cause instanceof EtcdCompactedException) {
				return "etcd compacted the revision asked for";
			}
			if (cause instanceof EtcdInterruptedException || cause instanceof InterruptedException) {
				return "the thread was interrupted while waiting for etcd";
			}
		}
		for (Throwable cause : chain) {
			if (cause instanceof StatusRuntimeException || cause instanceof StatusException) {
				return words(Status.fromThrowable(cause).getCode());
			}
			if (cause instanceof TimeoutException) {
				return "etcd did not answer in time";
			}
			if (cause instanceof ClosedChannelException) {
				return "the connection to etcd was closed";
			}
		}
		for (Throwable cause : chain) {
			if (cause instanceof EtcdUnavailableException) {
				return "etcd is unavailable (" + ownDetail(cause) + ")";
			}
			if (cause instanceof EtcdAccessException) {
				return ownDetail(cause);
			}
		}
		Throwable last = chain.get(chain.size() - 1);
		String message = firstLine(last.getMessage());
		return last.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
	}

	/**
	 * Describe {@code failure} of a call through {@code etcd}: as {@link #describe(Throwable)}, and a
	 * timeout while the client cannot connect says so (jetcd's calls wait for a connection, so a
	 * refused connection shows as a timeout).
	 * @param failure what a call to etcd threw or completed with
	 * @param etcd the template the call went through
	 * @return one line, never {@code null}
	 */
	public static String describe(Throwable failure, EtcdTemplate etcd) {
		String description = describe(failure);
		if (description.startsWith("etcd did not answer")) {
			String why = ConnectionDiagnosis.cannotConnect(etcd.getClient());
			if (why != null) {
				return why + " (" + description.substring("etcd ".length()) + ")";
			}
		}
		return description;
	}

	/**
	 * Whether {@code failure} is etcd being unavailable, slow, or refusing the connection or the
	 * credentials (logged as one line), rather than a bug (logged with its stack trace).
	 * @param failure what a call to etcd threw
	 * @return whether it is an availability problem
	 */
	public static boolean isAvailability(Throwable failure) {
		for (Throwable cause : chain(failure)) {
			if (cause instanceof EtcdAccessException || cause instanceof StatusRuntimeException
					|| cause instanceof StatusException || cause instanceof ConnectException
					|| cause instanceof TimeoutException || cause instanceof UnknownHostException
					|| cause instanceof SSLException || cause instanceof ClosedChannelException) {
				return true;
			}
		}
		return false;
	}

	private static List<Throwable> chain(Throwable failure) {
		List<Throwable> chain = new ArrayList<>();
		Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
		Throwable current = failure;
		while (current != null && chain.size() < MAX_DEPTH && seen.add(current)) {
			if (!(current instanceof CompletionException || current instanceof ExecutionException)
					|| current.getCause() == null) {
				chain.add(current);
			}
			current = current.getCause();
		}
		return chain;
	}

	private static @Nullable String refused(Throwable cause) {
		String message = String.valueOf(cause.getMessage());
		if (cause instanceof ConnectException || message.contains("Connection refused")) {
			Matcher address = ADDRESS.matcher(message);
			return "etcd refused the connection" + (address.find() ? " to " + address.group(1) : "");
		}
		return null;
	}

	private static boolean isStatus(Throwable cause, Status.Code code) {
		return (cause instanceof StatusRuntimeException || cause instanceof StatusException)
				&& Status.fromThrowable(cause).getCode() == code;
	}

	// etcd's own reason ("etcdserver: authentication failed, invalid user ID or password") is words
	private static String detail(List<Throwable> chain) {
		for (Throwable cause : chain) {
			String text = (cause instanceof StatusRuntimeException || cause instanceof StatusException)
					? Status.fromThrowable(cause).getDescription() : cause.getMessage();
			int at = (text != null) ? text.indexOf(ETCD_SERVER) : -1;
			if (text != null && at >= 0) {
				return " (" + firstLine(text.substring(at + ETCD_SERVER.length())) + ")";
			}
		}
		return "";
	}

	// "etcd read /x failed: the etcd client is closed" -> "the etcd client is closed"
	private static String ownDetail(Throwable cause) {
		String message = firstLine(cause.getMessage());
		int failed = message.indexOf(" failed: ");
		return (failed >= 0) ? message.substring(failed + " failed: ".length()) : message;
	}

	private static String words(Status.Code code) {
		return switch (code) {
			case UNAVAILABLE -> "etcd is unavailable";
			case DEADLINE_EXCEEDED -> "etcd did not answer in time";
			case CANCELLED -> "the call to etcd was cancelled";
			case UNAUTHENTICATED -> "etcd refused the credentials";
			case PERMISSION_DENIED -> "etcd denied the permission";
			case RESOURCE_EXHAUSTED -> "etcd refused the request as too large or over its quota";
			case NOT_FOUND -> "etcd did not find it";
			case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> "etcd rejected the request";
			case UNIMPLEMENTED -> "etcd does not support the request (an older etcd version?)";
			default -> "etcd failed the call (" + code + ")";
		};
	}

	private static String quoted(@Nullable String value) {
		return (value == null || value.isBlank()) ? "" : "'" + value + "' ";
	}

	private static String firstLine(@Nullable String message) {
		if (message == null) {
			return "";
		}
		int newline = message.indexOf('\n');
		return (newline >= 0) ? message.substring(0, newline) : message;
	}

}
