package dev.coordination.test.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback for network faults between one client and one server: it listens on a
 * free port of {@code 127.0.0.1} and forwards every connection to a target, in one of three
 * {@linkplain Mode modes} a test can switch at any time:
 * <ul>
 * <li>{@link Mode#PASS}: bytes flow both ways;</li>
 * <li>{@link Mode#DROP}: every connection is closed, and new ones are refused (accepted and reset
 * at once, so that the port stays this proxy's): the client sees its connections fail;</li>
 * <li>{@link Mode#BLACKHOLE}: connections stay open and new ones are accepted, but nothing is
 * forwarded either way: the client sees silence, as behind a partition that drops packets. What
 * the client sent meanwhile is held back, and delivered when the mode returns to {@code PASS}, as
 * TCP retransmits after a partition heals.</li>
 * </ul>
 * Point a client at {@link #address()} instead of the server, for example one proxy per etcd member
 * and an application whose {@code coordination.etcd.endpoints} name the proxies:
 *
 * <pre class="code">
 * TcpProxy proxy = TcpProxy.start(etcd.cluster().member(0).clientEndpoint());
 * ... "--coordination.etcd.endpoints=" + proxy.endpoint() ...
 * proxy.blackhole();   // the application is cut off from that member
 * proxy.pass();        // and connected again
 * proxy.close();
 * </pre>
 *
 * Every connection uses two daemon threads. Thread-safe.
 */
public final class TcpProxy implements AutoCloseable {

	private static final int BUFFER_SIZE = 16 * 1024;

	private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

	/**
	 * What the proxy does with the traffic.
	 */
	public enum Mode {

		/**
		 * Forward bytes both ways.
		 */
		PASS,

		/**
		 * Close every connection and refuse new ones.
		 */
		DROP,

		/**
		 * Hold every connection open, accept new ones, forward nothing.
		 */
		BLACKHOLE

	}

	private final String targetHost;

	private final int targetPort;

	private final ServerSocket server;

	private final Set<Connection> connections = ConcurrentHashMap.newKeySet();

	private final Object modeMonitor = new Object();

	private volatile Mode mode = Mode.PASS;

	private volatile boolean closed;

	private TcpProxy(String targetHost, int targetPort) throws IOException {
		this.targetHost = targetHost;
		this.targetPort = targetPort;
		this.server = new ServerSocket();
		this.server.setReuseAddress(true);
		this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
		Thread acceptor = new Thread(this::accept, "tcp-proxy-" + port() + "-accept");
		acceptor.setDaemon(true);
		acceptor.start();
	}

	/**
	 * Start a proxy in mode {@link Mode#PASS} to a host and port.
	 * @param targetHost the host to forward to
	 * @param targetPort the port to forward to
	 * @return the listening proxy
	 * @throws UncheckedIOException when no port can be bound
	 */
	public static TcpProxy start(String targetHost, int targetPort) {
		try {
			return new TcpProxy(targetHost, targetPort);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start a proxy to " + targetHost + ":" + targetPort, ex);
		}
	}

	/**
	 * Start a proxy in mode {@link Mode#PASS} to the host and port of an endpoint such as
	 * {@code http://127.0.0.1:2379}.
	 * @param target the endpoint to forward to
	 * @return the listening proxy
	 * @throws UncheckedIOException when no port can be bound
	 */
	public static TcpProxy start(URI target) {
		return start(target.getHost(), target.getPort());
	}

	/**
	 * The port the proxy listens on, on {@code 127.0.0.1}.
	 * @return the port
	 */
	public int port() {
		return this.server.getLocalPort();
	}

	/**
	 * The address clients connect to.
	 * @return {@code 127.0.0.1:port}
	 */
	public String address() {
		return "127.0.0.1:" + port();
	}

	/**
	 * The proxy as an {@code http} endpoint, for example for {@code coordination.etcd.endpoints}.
	 * @return {@code http://127.0.0.1:port}
	 */
	public URI endpoint() {
		return URI.create("http://" + address());
	}

	/**
	 * Where the proxy forwards to.
	 * @return {@code host:port}
	 */
	public String target() {
		return this.targetHost + ":" + this.targetPort;
	}

	/**
	 * The current mode.
	 * @return the mode
	 */
	public Mode mode() {
		return this.mode;
	}

	/**
	 * Forward traffic again: held connections of a blackhole resume, with what was held back.
	 */
	public void pass() {
		mode(Mode.PASS);
	}

	/**
	 * Close every connection and refuse new ones until the mode changes.
	 */
	public void drop() {
		mode(Mode.DROP);
	}

	/**
	 * Forward nothing: connections stay open, new ones are accepted and held.
	 */
	public void blackhole() {
		mode(Mode.BLACKHOLE);
	}

	/**
	 * Switch to a mode. Returns once connections that must be closed are closed.
	 * @param mode the new mode
	 */
	public void mode(Mode mode) {
		synchronized (this.modeMonitor) {
			this.mode = mode;
			this.modeMonitor.notifyAll();
		}
		if (mode == Mode.DROP) {
			this.connections.forEach(Connection::close);
		}
	}

	/**
	 * How many connections the proxy has open, held ones included.
	 * @return the number of connections
	 */
	public int connections() {
		return this.connections.size();
	}

	/**
	 * Stop listening and close every connection. Calling it again has no effect.
	 */
	@Override
	public void close() {
		this.closed = true;
		closeQuietly(this.server);
		synchronized (this.modeMonitor) {
			this.modeMonitor.notifyAll();
		}
		this.connections.forEach(Connection::close);
	}

	@Override
	public String toString() {
		return "TcpProxy[" + address() + " -> " + target() + ", " + this.mode + "]";
	}

	private void accept() {
		while (!this.closed) {
			Socket client;
			try {
				client = this.server.accept();
			}
			catch (IOException ex) {
				// closed
				return;
			}
			if (this.mode == Mode.DROP) {
				refuse(client);
				continue;
			}
			Connection connection = new Connection(client);
			this.connections.add(connection);
			Thread thread = new Thread(connection::open, "tcp-proxy-" + port() + "-connect");
			thread.setDaemon(true);
			thread.start();
		}
	}

	/**
	 * Wait while the mode is {@link Mode#BLACKHOLE}.
	 * @param connection the connection that waits
	 * @return {@code true} to go on, {@code false} when the connection is closed
	 */
	private boolean awaitPass(Connection connection) {
		synchronized (this.modeMonitor) {
			while (this.mode == Mode.BLACKHOLE && !connection.closed && !this.closed) {
				try {
					this.modeMonitor.wait(100);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return false;
				}
			}
			return this.mode == Mode.PASS && !connection.closed && !this.closed;
		}
	}

	private static void refuse(Socket socket) {
		try {
			// a reset rather than an orderly close
			socket.setSoLinger(true, 0);
		}
		catch (IOException ex) {
			// closed anyway below
		}
		closeQuietly(socket);
	}

	private static void closeQuietly(AutoCloseable closeable) {
		if (closeable == null) {
			return;
		}
		try {
			closeable.close();
		}
		catch (Exception ex) {
			// nothing to do
		}
	}

	/**
	 * One client connection and its connection to the target.
	 */
	private final class Connection {

		private final Socket client;

		private volatile Socket upstream;

		private volatile boolean closed;

		Connection(Socket client) {
			this.client = client;
		}

		/**
		 * Connect to the target once the mode lets traffic through, then pump both ways.
		 */
		void open() {
			if (!awaitPass(this)) {
				close();
				return;
			}
			Socket socket = new Socket();
			try {
				socket.setTcpNoDelay(true);
				this.client.setTcpNoDelay(true);
				socket.connect(new InetSocketAddress(TcpProxy.this.targetHost, TcpProxy.this.targetPort),
						(int) CONNECT_TIMEOUT.toMillis());
			}
			catch (IOException ex) {
				// the target is down: the client sees its connection closed, as with a refused one
				closeQuietly(socket);
				refuse(this.client);
				close();
				return;
			}
			this.upstream = socket;
			if (this.closed) {
				closeQuietly(socket);
				return;
			}
			Thread back = new Thread(() -> pump(socket, this.client), "tcp-proxy-" + port() + "-back");
			back.setDaemon(true);
			back.start();
			pump(this.client, socket);
		}

		private void pump(Socket from, Socket to) {
			byte[] buffer = new byte[BUFFER_SIZE];
			try {
				InputStream in = from.getInputStream();
				OutputStream out = to.getOutputStream();
				while (awaitPass(this)) {
					int read = in.read(buffer);
					if (read < 0) {
						break;
					}
					// read while traffic passed, maybe held back by a blackhole since
					if (!awaitPass(this)) {
						break;
					}
					out.write(buffer, 0, read);
					out.flush();
				}
			}
			catch (IOException ex) {
				// one side closed or reset: close both
			}
			close();
		}

		void close() {
			this.closed = true;
			closeQuietly(this.client);
			closeQuietly(this.upstream);
			TcpProxy.this.connections.remove(this);
		}

	}

}
