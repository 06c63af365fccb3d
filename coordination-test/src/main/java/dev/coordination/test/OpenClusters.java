package dev.coordination.test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Registry of the clusters this JVM started and has not closed yet, closed by a JVM shutdown hook.
 * <p>
 * The hook covers a normal exit with a test that forgot to close; a killed JVM is covered by the
 * {@link Watchdog} of every local process and by Testcontainers' Ryuk for containers.
 */
final class OpenClusters {

	private static final Log logger = LogFactory.getLog(OpenClusters.class);

	private static final Set<EtcdCluster> open = ConcurrentHashMap.newKeySet();

	private static boolean hookRegistered;

	private OpenClusters() {
	}

	static void add(EtcdCluster cluster) {
		registerHook();
		open.add(cluster);
	}

	static void remove(EtcdCluster cluster) {
		open.remove(cluster);
	}

	static boolean isOpen(EtcdCluster cluster) {
		return open.contains(cluster);
	}

	private static synchronized void registerHook() {
		if (!hookRegistered) {
			Runtime.getRuntime().addShutdownHook(new Thread(OpenClusters::closeAll, "coordination-etcd-shutdown"));
			hookRegistered = true;
		}
	}

	private static void closeAll() {
		for (EtcdCluster cluster : Set.copyOf(open)) {
			try {
				cluster.close();
			}
			catch (RuntimeException ex) {
				logger.warn("Cannot close " + cluster.description() + " at shutdown", ex);
			}
		}
	}

}
