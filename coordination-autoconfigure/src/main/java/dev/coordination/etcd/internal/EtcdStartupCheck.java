package dev.coordination.etcd.internal;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdAuthenticationException;
import dev.coordination.etcd.EtcdInterruptedException;
import dev.coordination.etcd.EtcdTimeoutException;
import dev.coordination.etcd.EtcdUnavailableException;
import dev.coordination.etcd.internal.EtcdEndpointProbe.Finding;
import dev.coordination.etcd.internal.EtcdEndpointProbe.Outcome;
import dev.coordination.etcd.internal.EtcdStartupException.Reason;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The first call to etcd at start-up, the one that fails start-up when etcd cannot be used: tried
 * again with a short backoff until {@code coordination.etcd.connect-timeout} plus
 * {@code coordination.etcd.startup-grace} have passed, so that a cold JVM whose gRPC and Netty
 * class loading used up the connect timeout does not fail against a healthy etcd. When it still
 * fails, the endpoints are probed ({@link EtcdEndpointProbe}) to say what etcd did, and an
 * {@link EtcdStartupException} says it, naming the endpoints and the properties to change.
 * <p>
 * Wrong credentials are not tried again.
 */
public final class EtcdStartupCheck {

	private static final Log logger = LogFactory.getLog(EtcdStartupCheck.class);

	private static final long FIRST_DELAY_MILLIS = 100;

	private static final long MAX_DELAY_MILLIS = 1000;

	private final List<URI> endpoints;

	private final Duration connectTimeout;

	private final Duration startupGrace;

	private final EtcdEndpointProbe probe;

	private final @Nullable String username;

	private final @Nullable String sslBundle;

	/**
	 * Create a check.
	 * @param endpoints the endpoints
	 * @param connectTimeout {@code coordination.etcd.connect-timeout}: the bound of each attempt
	 * @param startupGrace {@code coordination.etcd.startup-grace}: how much longer attempts go on
	 * @param probe what explains a failure
	 * @param username the user name, {@code null} without authentication
	 * @param sslBundle the name of the SSL bundle, {@code null} without TLS
	 */
	public EtcdStartupCheck(List<URI> endpoints, Duration connectTimeout, Duration startupGrace, EtcdEndpointProbe probe,
			@Nullable String username, @Nullable String sslBundle) {
		this.endpoints = List.copyOf(endpoints);
		this.connectTimeout = connectTimeout;
		this.startupGrace = startupGrace;
		this.probe = probe;
		this.username = username;
		this.sslBundle = sslBundle;
	}

	/**
	 * How long attempts go on in all: the connect timeout plus the start-up grace.
	 * @return the bound
	 */
	public Duration bound() {
		return this.connectTimeout.plus(this.startupGrace);
	}

	/**
	 * Make {@code attempt} until it succeeds or the bound passed.
	 * @param <T> the result type
	 * @param what what is being done, the start of the description: "Reading the configuration ..."
	 * @param otherwise the end of the action: another way out, for example "or import it with
	 * optional:etcd: to start without it", or empty
	 * @param attempt one attempt, bounded by the duration it is given
	 * @return the result of the first attempt that succeeded
	 * @throws EtcdStartupException when none did, saying what etcd did
	 * @throws EtcdInterruptedException when interrupted
	 */
	public <T> T call(String what, String otherwise, Function<Duration, T> attempt) {
		long start = System.nanoTime();
		long deadline = start + bound().toNanos();
		long delay = FIRST_DELAY_MILLIS;
		int attempts = 0;
		EtcdAccessException last = null;
		while (true) {
			long left = deadline - System.nanoTime();
			if (attempts > 0 && left <= 0) {
				break;
			}
			attempts++;
			Duration bound = (attempts == 1) ? this.connectTimeout
					: Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(this.connectTimeout.toNanos(), left)));
			try {
				return attempt.apply(bound);
			}
			catch (EtcdAuthenticationException ex) {
				throw credentials(what, ex);
			}
			catch (EtcdInterruptedException ex) {
				throw ex;
			}
			catch (EtcdTimeoutException | EtcdUnavailableException ex) {
				last = ex;
				if (attempts == 1 && deadline - System.nanoTime() > 0) {
					logger.info(what + ": etcd at " + addresses() + " did not answer within "
							+ this.connectTimeout.toMillis() + " ms (coordination.etcd.connect-timeout); trying again within "
							+ TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())
							+ " ms (coordination.etcd.startup-grace)");
				}
			}
			catch (EtcdAccessException ex) {
				throw new EtcdStartupException(Reason.OTHER, what + " failed: " + ex.getMessage() + ".",
						"Check etcd at " + addresses() + " and its log." + suffix(otherwise), ex);
			}
			long pause = Math.min(delay, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
			if (pause > 0) {
				try {
					Thread.sleep(pause);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new EtcdInterruptedException(what, ex);
				}
			}
			delay = Math.min(delay * 2, MAX_DELAY_MILLIS);
		}
		long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		throw unreachable(what, otherwise, attempts, waited, last);
	}

	private EtcdStartupException credentials(String what, EtcdAuthenticationException ex) {
		String reason = EtcdExceptionTranslator.reason(ex);
		boolean denied = reason.contains("permission denied");
		if (this.username == null) {
			return new EtcdStartupException(Reason.CREDENTIALS, what + " failed: etcd at " + addresses()
					+ " requires authentication and no user name is configured (" + reason + ").",
					"Set coordination.etcd.username and coordination.etcd.password to a user of etcd.", ex);
		}
		if (denied) {
			return new EtcdStartupException(Reason.CREDENTIALS, what + " failed: etcd at " + addresses()
					+ " accepted the credentials of user '" + this.username + "' but denied the request (" + reason + ").",
					"Grant the roles of user '" + this.username + "' read access to the keys, or set"
							+ " coordination.etcd.username and coordination.etcd.password to a user who has it.", ex);
		}
		return new EtcdStartupException(Reason.CREDENTIALS, what + " failed: etcd at " + addresses()
				+ " refused the credentials of user '" + this.username + "' (" + reason + ").",
				"Correct coordination.etcd.username and coordination.etcd.password.", ex);
	}

	private EtcdStartupException unreachable(String what, String otherwise, int attempts, long waited,
			@Nullable EtcdAccessException last) {
		Duration probeTimeout = (this.connectTimeout.compareTo(Duration.ofSeconds(2)) < 0) ? this.connectTimeout
				: Duration.ofSeconds(2);
		List<Finding> findings = new ArrayList<>();
		for (URI endpoint : this.endpoints) {
			findings.add(this.probe.probe(endpoint, probeTimeout));
		}
		String found = findings.stream().map(Finding::sentence).collect(Collectors.joining("; "));
		String tried = " The starter tried " + attempts + ((attempts == 1) ? " time" : " times") + " over " + waited
				+ " ms (coordination.etcd.connect-timeout " + this.connectTimeout.toMillis()
				+ " ms plus coordination.etcd.startup-grace " + this.startupGrace.toMillis() + " ms).";
		Outcome outcome = outcome(findings);
		String endpointsProperty = "coordination.etcd.endpoints (now " + this.endpoints + ")";
		return switch (outcome) {
			case REFUSED -> new EtcdStartupException(Reason.REFUSED, what + " failed: " + found + "." + tried,
					"Start etcd at " + addresses() + ", or correct " + endpointsProperty + suffix(otherwise), last);
			case UNKNOWN_HOST -> new EtcdStartupException(Reason.UNKNOWN_HOST, what + " failed: " + found + "." + tried,
					"Correct the host name in " + endpointsProperty + suffix(otherwise), last);
			case TLS_EXPECTED -> new EtcdStartupException(Reason.TLS, what + " failed: " + found + "." + tried,
					"Use https:// endpoints in coordination.etcd.endpoints and name an SSL bundle (spring.ssl.bundle.*)"
							+ " that trusts etcd's certificate in coordination.etcd.ssl.bundle" + suffix(otherwise), last);
			case PLAINTEXT_EXPECTED -> new EtcdStartupException(Reason.TLS, what + " failed: " + found + "." + tried,
					"Use http:// endpoints in coordination.etcd.endpoints and remove coordination.etcd.ssl.bundle, or"
							+ " start etcd with TLS (--cert-file, --key-file)" + suffix(otherwise), last);
			case TLS_FAILED -> new EtcdStartupException(Reason.TLS,
					what + " failed: the TLS handshake failed: " + found + "." + tried,
					"Make the SSL bundle named by coordination.etcd.ssl.bundle (now '" + this.sslBundle + "') trust the"
							+ " authority that signed etcd's certificate (spring.ssl.bundle.pem." + this.sslBundle
							+ ".truststore.certificate), give it the client certificate etcd asks for, or set"
							+ " coordination.etcd.authority to a host name the certificate names" + suffix(otherwise),
					last);
			default -> new EtcdStartupException(Reason.NO_ANSWER,
					what + " failed: etcd at " + addresses() + " did not answer within " + waited + " ms (" + found
							+ ")." + tried,
					"Check that etcd at " + addresses() + " is running and neither paused nor overloaded, or raise"
							+ " coordination.etcd.connect-timeout (now " + this.connectTimeout.toMillis()
							+ " ms) or coordination.etcd.startup-grace (now " + this.startupGrace.toMillis() + " ms)"
							+ suffix(otherwise),
					last);
		};
	}

	// the most telling finding: a TLS mismatch or failure explains everything, refused only when all refused
	private static Outcome outcome(List<Finding> findings) {
		for (Outcome telling : List.of(Outcome.TLS_EXPECTED, Outcome.PLAINTEXT_EXPECTED, Outcome.TLS_FAILED)) {
			if (findings.stream().anyMatch((finding) -> finding.outcome() == telling)) {
				return telling;
			}
		}
		if (findings.stream().allMatch((finding) -> finding.outcome() == Outcome.REFUSED)) {
			return Outcome.REFUSED;
		}
		if (findings.stream().allMatch((finding) -> finding.outcome() == Outcome.UNKNOWN_HOST)) {
			return Outcome.UNKNOWN_HOST;
		}
		return Outcome.NO_ANSWER;
	}

	private static String suffix(String otherwise) {
		return (otherwise.isEmpty() ? "" : ", " + otherwise) + ".";
	}

	private String addresses() {
		return this.endpoints.stream().map((endpoint) -> endpoint.getHost() + ":" + endpoint.getPort())
			.collect(Collectors.joining(", "));
	}

}
