package dev.coordination.etcd.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ReflectionUtils;

/**
 * Says why a call that timed out got no answer, when the reason is that the client cannot connect:
 * jetcd waits for a connection ({@code waitForReady}), so a refused connection shows only as a
 * call that never completes. Looks at the gRPC channel's state (reached as {@link ConnectBackoff}
 * does, by reflection; where that fails there is no diagnosis) and, where the caller allows, makes
 * a short TCP connect to each endpoint to tell a refused connection from a failing TLS handshake.
 */
public final class ConnectionDiagnosis {

	private static final Log logger = LogFactory.getLog(ConnectionDiagnosis.class);

	private ConnectionDiagnosis() {
	}

	/**
	 * Why {@code client} got no answer, if it is because it cannot connect.
	 * Reads the channel's state only: no network call, so it may run on any thread.
	 * @param client the client
	 * @return one sentence such as "connecting to etcd at 127.0.0.1:2379 fails: refused, or a failed
	 * TLS handshake", or {@code null}
	 * when the client is connected, connecting for the first time, or its state cannot be seen
	 */
	public static @Nullable String cannotConnect(Client client) {
		ManagedChannel channel;
		try {
			channel = ConnectBackoff.channel(client);
		}
		catch (RuntimeException ex) {
			return null;
		}
		if (channel == null || channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
			return null;
		}
		ClientBuilder builder = builder(client);
		List<URI> endpoints = endpoints(builder);
		// without TLS there is no handshake to fail
		String causes = (builder != null && builder.sslContext() == null) ? "refused or unreachable"
				: "refused, unreachable, or a failed TLS handshake";
		if (endpoints.isEmpty()) {
			return "connecting to etcd fails: " + causes;
		}
		return "connecting to etcd at " + endpoints.stream().map(URI::getAuthority).collect(Collectors.joining(", "))
				+ " fails: " + causes;
	}

	// the builder the client was built from, reached by reflection
	static @Nullable ClientBuilder builder(Client client) {
		try {
			Field field = ReflectionUtils.findField(client.getClass(), "connectionManager");
			if (field == null) {
				return null;
			}
			ReflectionUtils.makeAccessible(field);
			Object manager = ReflectionUtils.getField(field, client);
			Method method = (manager != null) ? ReflectionUtils.findMethod(manager.getClass(), "builder") : null;
			if (method == null) {
				return null;
			}
			ReflectionUtils.makeAccessible(method);
			return (ReflectionUtils.invokeMethod(method, manager) instanceof ClientBuilder builder) ? builder : null;
		}
		catch (RuntimeException ex) {
			logger.debug("Could not read the builder of " + client.getClass().getName(), ex);
			return null;
		}
	}

	// jetcd turns the endpoints into the target "ip:///host1:port1,host2:port2"
	private static List<URI> endpoints(@Nullable ClientBuilder builder) {
		try {
			if (builder == null || builder.target() == null) {
				return List.of();
			}
			String target = builder.target();
			int slash = target.indexOf(":///");
			String addresses = (slash >= 0) ? target.substring(slash + 4) : target.substring(target.lastIndexOf('/') + 1);
			List<URI> endpoints = new ArrayList<>();
			for (String address : addresses.split(",")) {
				if (!address.isBlank()) {
					endpoints.add(URI.create("tcp://" + address.trim()));
				}
			}
			return endpoints;
		}
		catch (RuntimeException ex) {
			logger.debug("Could not read the endpoints of etcd", ex);
			return List.of();
		}
	}

}
