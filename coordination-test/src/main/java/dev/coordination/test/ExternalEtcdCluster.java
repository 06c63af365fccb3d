package dev.coordination.test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An etcd cluster that runs elsewhere, named by {@code ETCD_ENDPOINTS}, used as is.
 * <p>
 * This JVM did not launch it, so its members refuse fault injection with
 * {@link UnsupportedOperationException}, report themselves running and have no log. Health is
 * {@code GET /health} on plaintext client URLs; for {@code https} URLs, whose certificates this JVM
 * cannot check, a TCP connection is all that is checked. {@link #close()} releases nothing on the
 * cluster itself. Thread-safe.
 */
final class ExternalEtcdCluster extends AbstractEtcdCluster {

	static final String NO_FAULTS = "fault injection needs a launched etcd: unset ETCD_ENDPOINTS";

	private final String endpoints;

	private final List<EtcdMember> members;

	private ExternalEtcdCluster(String endpoints, List<EtcdMember> members) {
		this.endpoints = endpoints;
		this.members = List.copyOf(members);
	}

	/**
	 * Use the cluster at the given endpoints.
	 * @param endpoints comma-separated client URLs; {@code host:port} means {@code http://host:port}
	 * @return the cluster
	 */
	static ExternalEtcdCluster of(String endpoints) {
		List<EtcdMember> members = new ArrayList<>();
		List<String> entries = Arrays.stream(endpoints.split(",")).map(String::trim).filter((e) -> !e.isEmpty()).toList();
		for (String endpoint : entries) {
			URI uri = URI.create(endpoint.contains("://") ? endpoint : "http://" + endpoint);
			if (uri.getHost() == null || uri.getPort() == -1) {
				throw new IllegalStateException(
						Etcd.ENDPOINTS_ENV + "=" + endpoints + " must list client URLs such as http://127.0.0.1:2379");
			}
			members.add(new ExternalMember("external-" + members.size(), uri));
		}
		if (members.isEmpty()) {
			throw new IllegalStateException(Etcd.ENDPOINTS_ENV + " lists no endpoint");
		}
		return new ExternalEtcdCluster(endpoints, members);
	}

	@Override
	public List<EtcdMember> members() {
		return this.members;
	}

	@Override
	public String description() {
		return "external " + Etcd.ENDPOINTS_ENV + "=" + this.endpoints;
	}

	@Override
	boolean isHealthy(EtcdMember member) {
		URI endpoint = member.clientEndpoint();
		if ("https".equals(endpoint.getScheme())) {
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 1000);
				return true;
			}
			catch (IOException ex) {
				return false;
			}
		}
		return EtcdSupport.isHealthy(endpoint.resolve("/health"));
	}

	@Override
	boolean isTls() {
		return this.members.stream().anyMatch((member) -> "https".equals(member.clientEndpoint().getScheme()));
	}

	@Override
	void doClose() {
	}

	/**
	 * A member of an external cluster: endpoint only, no fault injection.
	 */
	private record ExternalMember(String name, URI clientEndpoint) implements EtcdMember {

		@Override
		public boolean isRunning() {
			return true;
		}

		@Override
		public boolean isPaused() {
			return false;
		}

		@Override
		public long pid() {
			return -1;
		}

		@Override
		public void stop() {
			throw new UnsupportedOperationException(NO_FAULTS);
		}

		@Override
		public void kill() {
			throw new UnsupportedOperationException(NO_FAULTS);
		}

		@Override
		public void pause() {
			throw new UnsupportedOperationException(NO_FAULTS);
		}

		@Override
		public void resume() {
			throw new UnsupportedOperationException(NO_FAULTS);
		}

		@Override
		public void start() {
			throw new UnsupportedOperationException(NO_FAULTS);
		}

		@Override
		public void restart() {
			throw new UnsupportedOperationException(NO_FAULTS);
		}

		@Override
		public String logTail(int lines) {
			return "";
		}

	}

}
