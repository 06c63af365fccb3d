package dev.coordination.benchmarks.election;

import java.util.concurrent.TimeUnit;

/**
 * A JVM with nothing but one shutdown hook, for {@link FailoverMeasurement}'s {@code jvm} scenario:
 * it prints {@code READY} on stdout, and {@code HOOK <nanoTime>} when its hook runs. What a JVM takes
 * from SIGTERM to running application code, with no Spring and no starter in it. It exits after a
 * minute if nobody signals it.
 */
public final class ShutdownHookProbe {

	private ShutdownHookProbe() {
	}

	public static void main(String[] args) throws InterruptedException {
		Runtime.getRuntime().addShutdownHook(new Thread(() -> print("HOOK " + System.nanoTime())));
		print("READY");
		TimeUnit.MINUTES.sleep(1);
	}

	private static void print(String line) {
		System.out.println(line);
		System.out.flush();
	}

}
