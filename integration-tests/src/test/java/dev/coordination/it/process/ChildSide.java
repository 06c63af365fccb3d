package dev.coordination.it.process;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;

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

	/**
	 * Run a task on a daemon thread of its own.
	 * @param name the thread's name
	 * @param task the task
	 */
	public static void daemon(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		thread.start();
	}

	/**
	 * Sleep; an interrupt ends it early and stays set.
	 * @param millis how long
	 */
	public static void sleep(long millis) {
		try {
			TimeUnit.MILLISECONDS.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
