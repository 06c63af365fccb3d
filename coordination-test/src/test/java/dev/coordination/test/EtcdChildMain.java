package dev.coordination.test;

import java.util.concurrent.CountDownLatch;

/**
 * Main class of the child JVM in {@link WatchdogTests}: starts etcd, prints its pid and temporary
 * root, then blocks until it is killed.
 */
public final class EtcdChildMain {

	private EtcdChildMain() {
	}

	public static void main(String[] args) throws InterruptedException {
		EtcdCluster cluster = Etcd.start(EtcdSpec.builder().requireLaunched().build());
		System.out.println("etcd-pid=" + cluster.member(0).pid());
		System.out.println("etcd-root=" + ((LocalEtcdCluster) cluster).root());
		System.out.flush();
		new CountDownLatch(1).await();
	}

}
