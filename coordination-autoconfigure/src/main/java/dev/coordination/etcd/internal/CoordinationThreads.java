package dev.coordination.etcd.internal;

import java.util.concurrent.ThreadFactory;

import org.springframework.core.task.VirtualThreadTaskExecutor;

/**
 * The threads of the starter: named, and daemon threads, so that they never keep a JVM alive.
 * <p>
 * Two kinds. The threads that run application code (listeners and Spring events, the start and
 * stop of {@code @LeaderLifecycle} beans, the rebinding of beans to changed configuration, health
 * checks) follow the application's choice of threads: virtual threads with
 * {@code spring.threads.virtual.enabled=true} on Java 21 or later, as Spring Boot's own executors
 * do. The threads whose timing safety rests on, or that only talk to etcd (the session's
 * keep-alives and local deadline, elections, background deletes, registration writes, the catalog's
 * and the flags' watches, the etcd health indicator's status checks), stay platform threads: a virtual thread runs only when a carrier is free,
 * and an application whose virtual threads keep every carrier busy would delay a keep-alive past
 * the session's deadline.
 */
public final class CoordinationThreads {

	private CoordinationThreads() {
	}

	/**
	 * A factory of daemon platform threads with one name.
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

	/**
	 * A factory of threads with one name for application code: virtual threads when
	 * {@code virtual}, else daemon platform threads.
	 * @param name the name of every thread, for example {@code coordination-events}
	 * @param virtual whether to create virtual threads, as Spring Boot's
	 * {@code Threading.VIRTUAL.isActive(environment)} answers (never {@code true} before Java 21)
	 * @return the factory
	 * @throws UnsupportedOperationException when {@code virtual} and the JVM has no virtual threads
	 */
	public static ThreadFactory forApplicationCode(String name, boolean virtual) {
		if (!virtual) {
			return daemon(name);
		}
		// Spring's executor creates them through Thread.ofVirtual() on Java 21+ (this code compiles
		// for Java 17); a virtual thread is always a daemon thread
		ThreadFactory virtualThreads = new VirtualThreadTaskExecutor().getVirtualThreadFactory();
		return (task) -> {
			Thread thread = virtualThreads.newThread(task);
			thread.setName(name);
			return thread;
		};
	}

}
