package dev.coordination.etcd.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.jspecify.annotations.Nullable;

/**
 * Finds out what an etcd endpoint does when the client got no answer from it: whether anything
 * accepts a TCP connection there, whether it speaks TLS when the endpoint says it should (or
 * the other way round), and whether the TLS handshake succeeds with the client's trust material.
 * <p>
 * Used only to explain a failure at start-up, after the client has given up: jetcd waits for a
 * connection ({@code waitForReady}), so a refused connection, a TLS handshake that fails and an
 * etcd that does not answer all look the same to it, a call that never completes. Every probe is
 * bounded by the timeout given.
 */
public final class EtcdEndpointProbe {

	private final @Nullable SSLContext sslContext;

	private final @Nullable String authority;

	/**
	 * Create a probe.
	 * @param sslContext the client's TLS context for https:// endpoints, {@code null} for none
	 * @param authority the host name the server certificate is verified against, {@code null} for
	 * the endpoint's host
	 */
	public EtcdEndpointProbe(@Nullable SSLContext sslContext, @Nullable String authority) {
		this.sslContext = sslContext;
		this.authority = authority;
	}

	/**
	 * What the endpoint did.
	 * @param endpoint the endpoint, http:// or https://
	 * @param timeout the bound of each step
	 * @return what was found
	 */
	public Finding probe(URI endpoint, Duration timeout) {
		Finding finding = connect(endpoint, timeout);
		// etcd's TLS port closes a plaintext connection without a word: does it speak TLS?
		if (finding.outcome() == Outcome.UNKNOWN && "http".equals(endpoint.getScheme()) && speaksTls(endpoint, timeout)) {
			return new Finding(Outcome.TLS_EXPECTED, finding.address(), "speaks TLS, but the endpoint is configured as http://");
		}
		return finding;
	}

	private static boolean speaksTls(URI endpoint, Duration timeout) {
		int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), millis);
			socket.setSoTimeout(millis);
			SSLContext context = SSLContext.getInstance("TLS");
			context.init(null, new TrustManager[] { new TrustingManager() }, null);
			try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(socket, endpoint.getHost(),
					endpoint.getPort(), false)) {
				tls.startHandshake();
				return true;
			}
		}
		catch (SSLHandshakeException ex) {
			// an alert from the server (it wants a client certificate, say) is TLS too
			return String.valueOf(ex.getMessage()).contains("Received fatal alert");
		}
		catch (IOException | GeneralSecurityException ex) {
			return false;
		}
	}

	// only to find out whether the server speaks TLS at all: nothing is sent over this connection
	private static final class TrustingManager implements X509TrustManager {

		@Override
		public void checkClientTrusted(X509Certificate[] chain, String authType) {
		}

		@Override
		public void checkServerTrusted(X509Certificate[] chain, String authType) {
		}

		@Override
		public X509Certificate[] getAcceptedIssuers() {
			return new X509Certificate[0];
		}

	}

	private Finding connect(URI endpoint, Duration timeout) {
		String address = endpoint.getHost() + ":" + endpoint.getPort();
		int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
		try (Socket socket = new Socket()) {
			try {
				socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), millis);
			}
			catch (ConnectException ex) {
				return new Finding(Outcome.REFUSED, address, "refused the connection");
			}
			catch (SocketTimeoutException ex) {
				return new Finding(Outcome.NO_ANSWER, address, "did not accept a connection within " + millis + " ms");
			}
			catch (UnknownHostException ex) {
				return new Finding(Outcome.UNKNOWN_HOST, address, "is not a known host name");
			}
			catch (NoRouteToHostException ex) {
				return new Finding(Outcome.REFUSED, address, "cannot be reached (no route to host)");
			}
			socket.setSoTimeout(millis);
			if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
				return new Finding(Outcome.ANSWERS, address, "accepts connections");
			}
			return "https".equals(endpoint.getScheme()) ? handshake(socket, endpoint, address, millis)
					: plaintext(socket, address, millis);
		}
		catch (IOException ex) {
			return new Finding(Outcome.UNKNOWN, address, "failed: " + ex.getMessage());
		}
	}

	// plaintext etcd answers an HTTP/1 request on its client port; Go's TLS server answers one with
	// "400 Bad Request ... Client sent an HTTP request to an HTTPS server"
	private Finding plaintext(Socket socket, String address, int millis) throws IOException {
		OutputStream out = socket.getOutputStream();
		out.write(("GET /version HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n")
			.getBytes(StandardCharsets.US_ASCII));
		out.flush();
		String answer;
		try {
			answer = read(socket.getInputStream());
		}
		catch (SocketTimeoutException ex) {
			return new Finding(Outcome.NO_ANSWER, address,
					"accepted the connection but did not answer within " + millis + " ms");
		}
		if (answer.contains("HTTPS server") || (!answer.isEmpty() && answer.charAt(0) == 0x15)) {
			return new Finding(Outcome.TLS_EXPECTED, address, "speaks TLS, but the endpoint is configured as http://");
		}
		if (answer.isEmpty()) {
			return new Finding(Outcome.UNKNOWN, address, "accepted the connection and closed it without an answer");
		}
		return new Finding(Outcome.ANSWERS, address, "answers");
	}

	private Finding handshake(Socket socket, URI endpoint, String address, int millis) throws IOException {
		if (this.sslContext == null) {
			return new Finding(Outcome.ANSWERS, address, "accepts connections");
		}
		String host = (this.authority != null) ? this.authority : endpoint.getHost();
		try (SSLSocket tls = (SSLSocket) this.sslContext.getSocketFactory().createSocket(socket, host, endpoint.getPort(),
				false)) {
			SSLParameters parameters = tls.getSSLParameters();
			parameters.setEndpointIdentificationAlgorithm("HTTPS");
			tls.setSSLParameters(parameters);
			tls.setSoTimeout(millis);
			tls.startHandshake();
			return new Finding(Outcome.ANSWERS, address, "completed the TLS handshake");
		}
		catch (SocketTimeoutException ex) {
			return new Finding(Outcome.NO_ANSWER, address,
					"accepted the connection but did not answer the TLS handshake within " + millis + " ms");
		}
		catch (SSLException ex) {
			return tlsFailure(ex, address);
		}
		catch (EOFException ex) {
			return new Finding(Outcome.TLS_FAILED, address, "closed the connection during the TLS handshake");
		}
	}

	private static Finding tlsFailure(SSLException ex, String address) {
		String message = String.valueOf(ex.getMessage());
		if (message.contains("Unsupported or unrecognized SSL message") || message.contains("plaintext")) {
			return new Finding(Outcome.PLAINTEXT_EXPECTED, address,
					"does not speak TLS, but the endpoint is configured as https://");
		}
		if (hasCause(ex, CertificateException.class) || message.contains("PKIX") || message.contains("certificate_unknown")) {
			String reason = rootMessage(ex);
			return new Finding(Outcome.TLS_FAILED, address,
					"presented a certificate that is not trusted or does not match the host name (" + reason + ")");
		}
		if (ex instanceof SSLHandshakeException && (message.contains("bad_certificate")
				|| message.contains("certificate_required"))) {
			return new Finding(Outcome.TLS_FAILED, address, "rejected the client certificate (" + message + ")");
		}
		return new Finding(Outcome.TLS_FAILED, address, "failed the TLS handshake (" + rootMessage(ex) + ")");
	}

	private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
		for (Throwable current = failure; current != null; current = current.getCause()) {
			if (type.isInstance(current)) {
				return true;
			}
		}
		return false;
	}

	private static String rootMessage(Throwable failure) {
		Throwable root = failure;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return String.valueOf(root.getMessage());
	}

	// until the server closes the connection (both answers above close it) or 512 bytes are in
	private static String read(InputStream in) throws IOException {
		byte[] buffer = new byte[512];
		int length = 0;
		try {
			while (length < buffer.length) {
				int read = in.read(buffer, length, buffer.length - length);
				if (read < 0) {
					break;
				}
				length += read;
			}
		}
		catch (SocketTimeoutException ex) {
			if (length == 0) {
				throw ex;
			}
		}
		return new String(buffer, 0, length, StandardCharsets.ISO_8859_1);
	}

	/**
	 * What an endpoint did.
	 */
	public enum Outcome {

		/** Nothing listens: the connection was refused. */
		REFUSED,

		/** Nothing accepted the connection in time, or it was accepted and never answered. */
		NO_ANSWER,

		/** The host name does not resolve. */
		UNKNOWN_HOST,

		/** An http:// endpoint speaks TLS. */
		TLS_EXPECTED,

		/** An https:// endpoint does not speak TLS. */
		PLAINTEXT_EXPECTED,

		/** The TLS handshake failed: an untrusted or mismatching certificate, a refused client certificate. */
		TLS_FAILED,

		/** The endpoint answers: the failure lies elsewhere. */
		ANSWERS,

		/** Something else happened. */
		UNKNOWN

	}

	/**
	 * What an endpoint did, in words.
	 * @param outcome the kind of outcome
	 * @param address host:port
	 * @param what what it did, to follow "etcd at host:port"
	 */
	public record Finding(Outcome outcome, String address, String what) {

		/**
		 * One sentence: "etcd at host:port refused the connection".
		 * @return the sentence
		 */
		public String sentence() {
			return "etcd at " + this.address + " " + this.what;
		}

	}

}
