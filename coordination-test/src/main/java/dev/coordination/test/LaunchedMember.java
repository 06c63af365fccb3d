package dev.coordination.test;

import java.net.URI;
import java.time.Duration;

/**
 * A member that this JVM launched, as a local process or a container: starting it again waits
 * until it serves HTTP on its metrics URL.
 * <p>
 * Start-up does not wait until the member is healthy: a member restarted while the quorum is down
 * serves, but is not healthy until enough members are back.
 */
abstract class LaunchedMember implements EtcdMember {

	private final Duration startupTimeout;

	LaunchedMember(Duration startupTimeout) {
		this.startupTimeout = startupTimeout;
	}

	/**
	 * URL on the member's plain-HTTP metrics listener.
	 * @param path the path, for example {@code /health}
	 * @return the URL
	 */
	abstract URI metricsUrl(String path);

	/**
	 * Start the stopped member on its data directory and ports; called with the member's lock held.
	 */
	abstract void launch();

	/**
	 * How the member ended, for messages.
	 * @return for example "exited with code 1"
	 */
	String exitDescription() {
		return "exited";
	}

	@Override
	public void start() {
		synchronized (this) {
			if (isRunning()) {
				return;
			}
			launch();
		}
		URI health = metricsUrl("/health");
		boolean serving = EtcdSupport.pollUntil(this.startupTimeout, () -> {
			if (!isRunning()) {
				throw new IllegalStateException(
						"etcd member " + name() + " " + exitDescription() + " while restarting:\n" + logTail(40));
			}
			return EtcdSupport.servesHttp(health);
		});
		if (!serving) {
			throw new IllegalStateException("etcd member " + name() + " did not serve " + health + " within "
					+ this.startupTimeout + ":\n" + logTail(40));
		}
	}

	@Override
	public void restart() {
		stop();
		start();
	}

}
