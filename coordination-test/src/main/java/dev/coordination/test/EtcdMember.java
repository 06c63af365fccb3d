package dev.coordination.test;

import java.net.URI;

/**
 * One member of an {@link EtcdCluster}, with the faults a test can inject into it.
 * <p>
 * A stopped or killed member keeps its data and its ports: {@link #start()} brings it back as the same
 * member. Fault methods block until the fault is in place (bounded); they throw
 * {@link UnsupportedOperationException} for members of an external cluster, which this JVM did not
 * launch. Implementations are thread-safe.
 */
public interface EtcdMember {

	/**
	 * Member name, {@code m0}, {@code m1}, and so on.
	 * @return the name
	 */
	String name();

	/**
	 * Client endpoint of this member alone, for example to read from it with a serializable get.
	 * @return the endpoint
	 */
	URI clientEndpoint();

	/**
	 * Whether the member's process or container is running (a paused one is running).
	 * @return whether it is running
	 */
	boolean isRunning();

	/**
	 * Whether the member is running and paused by {@link #pause()}.
	 * @return whether it is paused
	 */
	boolean isPaused();

	/**
	 * Process id of the member's current (or last) local process.
	 * @return the pid, or {@code -1} when the member is not a local process
	 */
	long pid();

	/**
	 * Stop the member gracefully: SIGTERM (resuming it first if paused), then SIGKILL if it has not
	 * exited within 10 seconds. Does nothing if it is not running.
	 */
	void stop();

	/**
	 * Kill the member with SIGKILL and wait until it has exited. Does nothing if it is not running.
	 */
	void kill();

	/**
	 * Freeze the member with SIGSTOP: it keeps its sockets open but answers nothing.
	 * @throws IllegalStateException if it is not running
	 */
	void pause();

	/**
	 * Resume a paused member with SIGCONT. Does nothing if it is not paused.
	 */
	void resume();

	/**
	 * Start a stopped or killed member again on the same data directory and the same ports, and wait
	 * until it serves HTTP. It does not wait until the member is healthy, since the quorum may be down:
	 * use {@link EtcdCluster#awaitHealthy} for that. Does nothing if it is running.
	 * @throws IllegalStateException if the member does not come up, with its log tail
	 */
	void start();

	/**
	 * {@link #stop()} then {@link #start()}.
	 */
	void restart();

	/**
	 * Last lines of the member's log.
	 * @param lines how many lines at most
	 * @return the lines, joined with new lines, or an empty string when there is no log
	 */
	String logTail(int lines);

}
