package dev.coordination.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Small blocking helpers shared by the cluster implementations: free ports, HTTP probes, bounded
 * polling, log tails and directory deletion.
 * <p>
 * Every call is bounded; an interrupt while waiting restores the interrupt flag and fails with
 * {@link IllegalStateException}.
 */
final class EtcdSupport {

	private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

	private static final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(1))
		.build();

	private EtcdSupport() {
	}

	/**
	 * Distinct free loopback ports: all are bound at once, then released for the caller to use.
	 * @param count how many ports
	 * @return the port numbers
	 */
	static int[] freePorts(int count) {
		List<ServerSocket> sockets = new ArrayList<>(count);
		try {
			int[] ports = new int[count];
			for (int i = 0; i < count; i++) {
				ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
				sockets.add(socket);
				ports[i] = socket.getLocalPort();
			}
			return ports;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot find free loopback ports", ex);
		}
		finally {
			for (ServerSocket socket : sockets) {
				try {
					socket.close();
				}
				catch (IOException ex) {
					// nothing to do: the port is released anyway
				}
			}
		}
	}

	/**
	 * Whether {@code GET uri} answers {@code "health":"true"}.
	 * @param uri a {@code /health} URL
	 * @return whether the member reports itself healthy
	 */
	static boolean isHealthy(URI uri) {
		HttpResponse<String> response = get(uri, HttpResponse.BodyHandlers.ofString());
		return response != null && response.statusCode() == 200
				&& response.body().replace(" ", "").contains("\"health\":\"true\"");
	}

	/**
	 * Whether something answers HTTP at the URL, whatever the status.
	 * @param uri the URL
	 * @return whether an HTTP response came back
	 */
	static boolean servesHttp(URI uri) {
		return get(uri, HttpResponse.BodyHandlers.discarding()) != null;
	}

	private static <T> HttpResponse<T> get(URI uri, HttpResponse.BodyHandler<T> handler) {
		HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build();
		try {
			return http.send(request, handler);
		}
		catch (IOException ex) {
			return null;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while probing " + uri, ex);
		}
	}

	/**
	 * Poll a condition until it holds or the timeout passes.
	 * @param timeout the bound
	 * @param condition the condition, polled every 50 ms
	 * @return whether the condition held in time
	 */
	static boolean pollUntil(Duration timeout, BooleanSupplier condition) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			if (condition.getAsBoolean()) {
				return true;
			}
			if (System.nanoTime() - deadline >= 0) {
				return false;
			}
			sleep(POLL_INTERVAL);
		}
	}

	static void sleep(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for etcd", ex);
		}
	}

	/**
	 * Wait for a process to exit.
	 * @param process the process
	 * @param timeout the bound
	 * @return whether it exited in time
	 */
	static boolean waitFor(Process process, Duration timeout) {
		try {
			return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for process " + process.pid(), ex);
		}
	}

	/**
	 * Last lines of a text file.
	 * @param file the file
	 * @param lines how many lines at most
	 * @return the lines joined with new lines, empty if the file does not exist
	 */
	static String tail(Path file, int lines) {
		try {
			String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
			List<String> all = text.lines().toList();
			return String.join("\n", all.subList(Math.max(0, all.size() - Math.max(0, lines)), all.size()));
		}
		catch (NoSuchFileException ex) {
			return "";
		}
		catch (IOException ex) {
			return "(cannot read " + file + ": " + ex + ")";
		}
	}

	/**
	 * Delete a directory tree, ignoring files that are already gone.
	 * @param root the directory
	 */
	static void deleteRecursively(Path root) {
		if (root == null || !Files.exists(root)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(root)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot delete " + root, ex);
		}
	}

}
