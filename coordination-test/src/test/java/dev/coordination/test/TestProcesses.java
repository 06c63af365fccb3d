package dev.coordination.test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Process checks for tests: a zombie counts as dead, a stopped process as alive.
 */
public final class TestProcesses {

	private TestProcesses() {
	}

	/**
	 * Whether the process exists and is not a zombie.
	 * @param pid the process id
	 * @return whether it is alive
	 */
	public static boolean isAlive(long pid) {
		char state = state(pid);
		if (state != '?') {
			return state != 'Z' && state != 'X';
		}
		return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
	}

	/**
	 * The state letter of {@code /proc/PID/stat}.
	 * @param pid the process id
	 * @return the state, {@code '?'} when it cannot be read
	 */
	public static char state(long pid) {
		if (!Files.isDirectory(Path.of("/proc/self"))) {
			return '?';
		}
		try {
			String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
			return stat.charAt(stat.lastIndexOf(')') + 2);
		}
		catch (NoSuchFileException ex) {
			return 'X';
		}
		catch (IOException | RuntimeException ex) {
			return '?';
		}
	}

	/**
	 * Live processes whose command line mentions the text, such as a cluster's temporary root.
	 * @param text the text to look for
	 * @return the matching live processes
	 */
	public static List<ProcessHandle> processesMentioning(String text) {
		return ProcessHandle.allProcesses()
			.filter((process) -> isAlive(process.pid()))
			.filter((process) -> process.info().commandLine().map((line) -> line.contains(text)).orElse(false)
					|| process.info().arguments().map((args) -> String.join(" ", args).contains(text)).orElse(false))
			.toList();
	}

}
