package dev.coordination.benchmarks;

import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * What the measurements that run as programs of their own (not JMH) share: how they end and where
 * they write their results.
 */
public final class Measurements {

	private Measurements() {
	}

	/**
	 * Run a measurement and exit: status 2 when its arguments were wrong (the message says why), 1
	 * when it failed, 0 otherwise. Exiting also ends the gRPC and etcd watchdog threads that would
	 * keep the JVM alive.
	 * @param args the command line
	 * @param measurement what to run
	 */
	public static void run(String[] args, Measurement measurement) {
		int status = 0;
		try {
			measurement.run(args);
		}
		catch (IllegalArgumentException ex) {
			System.err.println(ex.getMessage());
			status = 2;
		}
		catch (Exception ex) {
			ex.printStackTrace();
			status = 1;
		}
		System.exit(status);
	}

	/**
	 * The directory of the jar (or of the classes) {@code type} comes from, {@code benchmarks/target}
	 * either way; the working directory when it cannot be told.
	 * @param type a class of the benchmarks
	 * @return where results go
	 */
	public static Path targetDirectory(Class<?> type) {
		try {
			Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
			return location.toAbsolutePath().getParent();
		}
		catch (URISyntaxException | RuntimeException ex) {
			return Path.of(".");
		}
	}

	/**
	 * A measurement's body.
	 */
	@FunctionalInterface
	public interface Measurement {

		/**
		 * Measure.
		 * @param args the command line
		 * @throws Exception when it failed; {@link IllegalArgumentException} for wrong arguments
		 */
		void run(String[] args) throws Exception;

	}

}
