package dev.coordination.it.process;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.coordination.test.EtcdCluster;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;

import static org.awaitility.Awaitility.await;

/**
 * Finds the raft leader of a test's etcd cluster, for faults aimed at it.
 */
public final class RaftLeader {

	private RaftLeader() {
	}

	/**
	 * The index of the etcd raft leader, from the Maintenance status of each member; waits up to
	 * 10 s while the cluster has none.
	 * @param cluster the cluster
	 * @param client a client of the cluster
	 * @return the index of the leading member
	 */
	public static int of(EtcdCluster cluster, Client client) {
		return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
			for (int index = 0; index < cluster.size(); index++) {
				URI endpoint = cluster.member(index).clientEndpoint();
				try {
					StatusResponse status = client.getMaintenanceClient()
						.statusMember(endpoint.getHost() + ":" + endpoint.getPort())
						.get(2, TimeUnit.SECONDS);
					if (status.getLeader() != 0 && status.getLeader() == status.getHeader().getMemberId()) {
						return index;
					}
				}
				catch (Exception ex) {
					// down or paused: ask the next one
				}
			}
			return -1;
		}, (index) -> index >= 0);
	}

}
