package dev.coordination.test;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import io.etcd.jetcd.Client;

/**
 * A running etcd cluster used by tests or during development.
 * <p>
 * A cluster comes from {@link Etcd#start(EtcdSpec)}: local child processes, Docker containers or an
 * external cluster named by {@code ETCD_ENDPOINTS}. Whoever started it owns it and must
 * {@link #close() close} it; clusters still open when the JVM exits are closed by a shutdown hook, and
 * local processes are also killed by a watchdog when the JVM is killed. Implementations are thread-safe.
 */
public interface EtcdCluster extends AutoCloseable {

	/**
	 * Client endpoints of every member, in member order, whether the member is running or not.
	 * @return the endpoints, {@code http://host:port} or {@code https://host:port}
	 */
	List<URI> endpoints();

	/**
	 * Client endpoints as one comma-separated string, ready for a property such as
	 * {@code coordination.etcd.endpoints}.
	 * @return the comma-separated endpoints
	 */
	String endpointsAsString();

	/**
	 * Members of the cluster, in order.
	 * @return the members
	 */
	List<EtcdMember> members();

	/**
	 * Member at the given index.
	 * @param index index from {@code 0} to {@code size() - 1}
	 * @return the member
	 * @throws IndexOutOfBoundsException if there is no such member
	 */
	EtcdMember member(int index);

	/**
	 * Number of members.
	 * @return the number of members
	 */
	int size();

	/**
	 * Wait until every running member that is not paused answers its health check.
	 * @param timeout how long to wait at most
	 * @throws IllegalStateException on timeout, with the tail of every member's log
	 */
	void awaitHealthy(Duration timeout);

	/**
	 * Build a plain jetcd client to all endpoints. The caller closes it.
	 * @return a new client
	 * @throws IllegalStateException if the cluster uses TLS: build a client with the TLS material instead
	 */
	Client newClient();

	/**
	 * Where this etcd runs, for logs and failure messages, for example
	 * {@code local etcd 3.4.23 (/usr/bin/etcd), 3 members}.
	 * @return a one-line description
	 */
	String description();

	/**
	 * Kill every process or container of the cluster and delete its temporary directories. Calling it
	 * again has no effect.
	 */
	@Override
	void close();

	/**
	 * Undo the faults of a test: resume paused members, start stopped or killed ones, and wait
	 * until every member is healthy. For an {@code @AfterEach} of fault tests that share a cluster.
	 * @param timeout how long to wait for health
	 */
	default void restore(Duration timeout) {
		for (EtcdMember member : members()) {
			if (member.isPaused()) {
				member.resume();
			}
			if (!member.isRunning()) {
				member.start();
			}
		}
		awaitHealthy(timeout);
	}

}
