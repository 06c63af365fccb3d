package dev.coordination.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A tiny {@code sh} process that kills an etcd process and deletes its temporary root when this JVM
 * is gone, even if the JVM was killed with SIGKILL and no shutdown hook ran.
 * <p>
 * It checks every 0.5 s that both the JVM and etcd are alive. A zombie counts as dead (the state
 * field of {@code /proc/PID/stat} is {@code Z}; without {@code /proc} it falls back to
 * {@code kill -0}); a SIGSTOPped etcd counts as alive. When etcd exits first the watchdog exits
 * quietly; when the JVM is gone it sends SIGKILL to etcd and runs {@code rm -rf} on the root.
 */
final class Watchdog {

	// $1 = JVM pid, $2 = etcd pid, $3 = temporary root
	static final String SCRIPT = """
			alive() {
			  if [ -r "/proc/$1/stat" ]; then
			    state=$(sed -n 's/.*) \\(.\\).*/\\1/p' "/proc/$1/stat" 2>/dev/null)
			    [ -n "$state" ] && [ "$state" != Z ]
			  else
			    kill -0 "$1" 2>/dev/null
			  fi
			}
			while alive "$1" && alive "$2"; do sleep 0.5; done
			if ! alive "$1"; then
			  kill -9 "$2" 2>/dev/null
			  rm -rf "$3"
			fi
			""";

	private final Process process;

	private Watchdog(Process process) {
		this.process = process;
	}

	/**
	 * Start a watchdog for an etcd process of this JVM.
	 * @param etcdPid the etcd process
	 * @param root the temporary root to delete when the JVM is gone
	 * @return the running watchdog
	 */
	static Watchdog start(long etcdPid, Path root) {
		ProcessBuilder builder = new ProcessBuilder("sh", "-c", SCRIPT, "coordination-etcd-watchdog",
				Long.toString(ProcessHandle.current().pid()), Long.toString(etcdPid), root.toString())
			.redirectOutput(ProcessBuilder.Redirect.DISCARD)
			.redirectError(ProcessBuilder.Redirect.DISCARD);
		try {
			Process process = builder.start();
			process.getOutputStream().close();
			return new Watchdog(process);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start the etcd watchdog (sh)", ex);
		}
	}

	boolean isAlive() {
		return this.process.isAlive();
	}

	/**
	 * Wait for the watchdog to notice that etcd is gone and exit, then kill it and its children if it
	 * has not.
	 * @param timeout how long to let it exit by itself
	 */
	void awaitExit(Duration timeout) {
		if (EtcdSupport.waitFor(this.process, timeout)) {
			return;
		}
		var children = this.process.descendants().toList();
		this.process.destroyForcibly();
		children.forEach(ProcessHandle::destroyForcibly);
		EtcdSupport.waitFor(this.process, Duration.ofSeconds(5));
	}

}
