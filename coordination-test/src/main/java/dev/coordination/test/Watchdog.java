package dev.coordination.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A tiny {@code sh} process that kills a process this JVM started (an etcd member, or an application
 * a test runs as a separate process) and deletes its temporary root when this JVM is gone, even if
 * the JVM was killed with SIGKILL and no shutdown hook ran.
 * <p>
 * It checks every 0.5 s that both the JVM and the process are alive. A zombie counts as dead (the
 * state field of {@code /proc/PID/stat} is {@code Z}; without {@code /proc} it falls back to
 * {@code kill -0}); a SIGSTOPped process counts as alive. When the process exits first the watchdog
 * exits quietly; when the JVM is gone it sends SIGKILL to the process and runs {@code rm -rf} on the
 * root, if there is one.
 */
public final class Watchdog {

	// $1 = JVM pid, $2 = watched pid, $3 = temporary root or empty
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
			  if [ -n "$3" ]; then rm -rf "$3"; fi
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
		return start(etcdPid, root.toString());
	}

	/**
	 * Start a watchdog that kills a process of this JVM with SIGKILL when this JVM is gone.
	 * @param pid the process
	 * @return the running watchdog
	 */
	public static Watchdog start(long pid) {
		return start(pid, "");
	}

	private static Watchdog start(long pid, String root) {
		ProcessBuilder builder = new ProcessBuilder("sh", "-c", SCRIPT, "coordination-watchdog",
				Long.toString(ProcessHandle.current().pid()), Long.toString(pid), root)
			.redirectOutput(ProcessBuilder.Redirect.DISCARD)
			.redirectError(ProcessBuilder.Redirect.DISCARD);
		try {
			Process process = builder.start();
			process.getOutputStream().close();
			return new Watchdog(process);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start the process watchdog (sh)", ex);
		}
	}

	/**
	 * Whether the watchdog still runs.
	 * @return whether it does
	 */
	public boolean isAlive() {
		return this.process.isAlive();
	}

	/**
	 * Wait for the watchdog to notice that the process is gone and exit, then kill it and its children if it
	 * has not.
	 * @param timeout how long to let it exit by itself
	 */
	public void awaitExit(Duration timeout) {
		if (EtcdSupport.waitFor(this.process, timeout)) {
			return;
		}
		var children = this.process.descendants().toList();
		this.process.destroyForcibly();
		children.forEach(ProcessHandle::destroyForcibly);
		EtcdSupport.waitFor(this.process, Duration.ofSeconds(5));
	}

}
