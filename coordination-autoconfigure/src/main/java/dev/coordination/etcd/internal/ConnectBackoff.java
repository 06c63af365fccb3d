package dev.coordination.etcd.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.Client;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ReflectionUtils;

/**
 * Brings a jetcd client's connection back within a few hundred milliseconds of etcd answering
 * again, where gRPC alone takes seconds.
 * <p>
 * gRPC waits longer and longer between attempts to reconnect a lost connection (1 s, then 1.6 times
 * the previous wait, up to 2 minutes: grpc-java's {@code ExponentialBackoffPolicy}), and jetcd's
 * {@code ClientBuilder} does not reach the channel builder that would set it. jetcd's watches wait
 * for the connection ({@code waitForReady}), so after an outage of 8 s a watch came back up to 5 s
 * after etcd answered. {@link #shorten(Client)}, called when a watch lost its stream, cuts those
 * waits short with {@link ManagedChannel#resetConnectBackoff()} while the channel is in
 * {@code TRANSIENT_FAILURE}: after 50 ms, then after twice the previous wait, at most
 * {@value #MAX_MILLIS} ms, each up to a fifth shorter at random. A down etcd gets at most one connection attempt per
 * {@value #MAX_MILLIS} ms from each client (a refused TCP connect); once the channel is connected
 * (or shut down) the loop ends, and the next outage starts again at 50 ms. One loop per client,
 * however many watches lost their stream.
 * <p>
 * jetcd keeps its channel in a package-private class, reached by reflection: where that fails
 * (another jetcd version, a {@link Client} that is not jetcd's) this does nothing and gRPC's own
 * backoff applies. The waits run on the JDK's delayed executor; each step is a non-blocking call.
 */
final class ConnectBackoff {

	private static final Log logger = LogFactory.getLog(ConnectBackoff.class);

	private static final long FIRST_MILLIS = 50;

	private static final long MAX_MILLIS = 250;

	private static final Set<Client> shortening = ConcurrentHashMap.newKeySet();

	private ConnectBackoff() {
	}

	/**
	 * Reconnect {@code client} soon after etcd answers again, unless already doing so. Returns at
	 * once: the channel is looked at later, on the JDK's delayed executor, since the caller may hold
	 * a lock of jetcd's.
	 * @param client the client whose connection was lost
	 */
	static void shorten(Client client) {
		if (shortening.add(client)) {
			after(client, FIRST_MILLIS);
		}
	}

	private static void after(Client client, long millis) {
		// up to a fifth shorter at random, so that the instances of a fleet do not reconnect in step
		long delay = millis - ThreadLocalRandom.current().nextLong(millis / 5 + 1);
		CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, Runnable::run)
			.execute(() -> step(client, millis));
	}

	private static void step(Client client, long millis) {
		try {
			ManagedChannel channel = channel(client);
			if (channel == null || channel.isShutdown()) {
				shortening.remove(client);
				return;
			}
			// IDLE: nothing asked for a connection yet, ask for one (a watch waits for it)
			ConnectivityState state = channel.getState(true);
			if (state == ConnectivityState.READY || state == ConnectivityState.SHUTDOWN) {
				shortening.remove(client);
				return;
			}
			if (state == ConnectivityState.TRANSIENT_FAILURE) {
				channel.resetConnectBackoff();
			}
		}
		catch (RuntimeException ex) {
			shortening.remove(client);
			logger.debug("Could not shorten the reconnect backoff of " + client, ex);
			return;
		}
		after(client, Math.min(millis * 2, MAX_MILLIS));
	}

	static @Nullable ManagedChannel channel(Client client) {
		try {
			Field field = ReflectionUtils.findField(client.getClass(), "connectionManager");
			if (field != null) {
				ReflectionUtils.makeAccessible(field);
				Object manager = ReflectionUtils.getField(field, client);
				Method method = (manager != null) ? ReflectionUtils.findMethod(manager.getClass(), "getChannel") : null;
				if (method != null) {
					ReflectionUtils.makeAccessible(method);
					if (ReflectionUtils.invokeMethod(method, manager) instanceof ManagedChannel channel) {
						return channel;
					}
				}
			}
		}
		catch (RuntimeException ex) {
			logger.debug("Could not reach the gRPC channel of " + client.getClass().getName(), ex);
		}
		logger.debug("No gRPC channel in " + client.getClass().getName()
				+ ": after an outage, its connection comes back at gRPC's reconnect backoff");
		return null;
	}

}
