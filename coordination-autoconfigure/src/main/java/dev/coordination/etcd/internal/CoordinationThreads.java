package dev.coordination.etcd.internal;

import java.util.concurrent.ThreadFactory;

/**
 * The threads of the starter: named, and daemon threads, so that they never keep a JVM alive.
 */
public final class CoordinationThreads {

	private CoordinationThreads() {
	}

	/**
	 * A factory of daemon threads with one name.
	 * @param name the name of every thread, for example {@code coordination-discovery}
	 * @return the factory
	 */
	public static ThreadFactory daemon(String name) {
		return (task) -> {
			Thread thread = new Thread(task, name);
			thread.setDaemon(true);
			return thread;
		};
	}

}
