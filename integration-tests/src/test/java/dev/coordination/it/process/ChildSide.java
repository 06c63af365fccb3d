package dev.coordination.it.process;

import java.io.IOException;
import java.io.InputStream;

/**
 * What every child application does: print its machine-readable lines, and halt when its parent
 * (the test JVM) is gone, which it learns from its standard input closing.
 */
public final class ChildSide {

	private ChildSide() {
	}

	/**
	 * Print one line for the parent, whole.
	 * @param line the line
	 */
	public static synchronized void print(String line) {
		System.out.println(line);
		System.out.flush();
	}

	/**
	 * Halt this JVM as soon as its standard input closes: the parent died or killed it.
	 */
	public static void exitWhenParentGone() {
		Thread thread = new Thread(() -> {
			try (InputStream in = System.in) {
				while (in.read() != -1) {
					// nothing is sent: the stream only tells that the parent is alive
				}
			}
			catch (IOException ex) {
				// the parent is gone as well
			}
			Runtime.getRuntime().halt(2);
		}, "parent-watch");
		thread.setDaemon(true);
		thread.start();
	}

}
