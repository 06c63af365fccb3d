package dev.coordination.test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import io.etcd.jetcd.Client;

/**
 * Base of the {@link EtcdCluster} implementations: endpoints, health waiting, plain clients and an
 * idempotent close that also leaves the shutdown-hook registry.
 */
abstract class AbstractEtcdCluster implements EtcdCluster {

	private static final int LOG_TAIL_LINES = 30;

	private final AtomicBoolean closed = new AtomicBoolean();

	@Override
	public List<URI> endpoints() {
		return members().stream().map(EtcdMember::clientEndpoint).toList();
	}

	@Override
	public String endpointsAsString() {
		return endpoints().stream().map(URI::toString).collect(Collectors.joining(","));
	}

	@Override
	public EtcdMember member(int index) {
		return members().get(index);
	}

	@Override
	public int size() {
		return members().size();
	}

	@Override
	public void awaitHealthy(Duration timeout) {
		boolean healthy = EtcdSupport.pollUntil(timeout, () -> members().stream()
			.filter((member) -> member.isRunning() && !member.isPaused())
			.allMatch(this::isHealthy));
		if (!healthy) {
			throw new IllegalStateException(
					"etcd did not become healthy within " + timeout + ": " + description() + logTails());
		}
	}

	@Override
	public Client newClient() {
		if (isTls()) {
			throw new IllegalStateException(description() + " serves clients over TLS: build a client with the TLS "
					+ "material, for example Client.builder().endpoints(cluster.endpoints()).sslContext(...)");
		}
		return Client.builder().endpoints(endpoints()).build();
	}

	@Override
	public final void close() {
		if (this.closed.compareAndSet(false, true)) {
			try {
				doClose();
			}
			finally {
				OpenClusters.remove(this);
			}
		}
	}

	boolean isClosed() {
		return this.closed.get();
	}

	/**
	 * The tail of every member's log, one block per member, for failure messages.
	 * @return the log tails, starting with a new line
	 */
	String logTails() {
		StringBuilder tails = new StringBuilder();
		for (EtcdMember member : members()) {
			tails.append("\n--- ").append(member.name()).append(" (").append(member.clientEndpoint()).append(", ")
				.append(member.isRunning() ? "running" : "not running").append(") log tail ---\n")
				.append(member.logTail(LOG_TAIL_LINES));
		}
		return tails.toString();
	}

	@Override
	public String toString() {
		return description() + " at " + endpointsAsString();
	}

	/**
	 * Whether a running, un-paused member answers its health check now.
	 * @param member the member
	 * @return whether it is healthy
	 */
	abstract boolean isHealthy(EtcdMember member);

	/**
	 * Whether clients must use TLS.
	 * @return whether the client URLs are {@code https}
	 */
	abstract boolean isTls();

	/**
	 * Release everything; called once.
	 */
	abstract void doClose();

}
