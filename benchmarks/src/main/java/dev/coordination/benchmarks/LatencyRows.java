package dev.coordination.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/**
 * The rows the measurements that are not JMH benchmarks print: a label, how many values, and their
 * min, nearest-rank median and 99th percentile and max in milliseconds; and their
 * {@code --name=value} arguments.
 */
public final class LatencyRows {

	private LatencyRows() {
	}

	/**
	 * The header over {@link #row} lines.
	 * @param labelWidth the width of the label column
	 * @param first the heading of the label column
	 * @param count the heading of the count column
	 * @return the line
	 */
	public static String header(int labelWidth, String first, String count) {
		return String.format(Locale.ROOT, "%-" + labelWidth + "s %7s %9s %9s %9s %9s%n", first, count, "min ms",
				"p50 ms", "p99 ms", "max ms");
	}

	/**
	 * One line of durations.
	 * @param labelWidth the width of the label column
	 * @param label what was measured
	 * @param nanos the durations, in nanoseconds; at least one
	 * @return the line
	 */
	public static String row(int labelWidth, String label, long[] nanos) {
		long[] sorted = nanos.clone();
		Arrays.sort(sorted);
		return String.format(Locale.ROOT, "%-" + labelWidth + "s %7d %9.3f %9.3f %9.3f %9.3f%n", label,
				sorted.length, millis(sorted[0]), millis(percentile(sorted, 50)), millis(percentile(sorted, 99)),
				millis(sorted[sorted.length - 1]));
	}

	/**
	 * The value of {@code --name=value} among the arguments.
	 * @param args the arguments
	 * @param name the name
	 * @param defaultValue the value when it is not given
	 * @return the value
	 */
	public static String arg(String[] args, String name, String defaultValue) {
		for (String arg : args) {
			if (arg.startsWith("--" + name + "=")) {
				return arg.substring(name.length() + 3);
			}
		}
		return defaultValue;
	}

	/**
	 * The whole number of {@code --name=value} among the arguments.
	 * @param args the arguments
	 * @param name the name
	 * @param defaultValue the value when it is not given
	 * @return the value
	 */
	public static int intArg(String[] args, String name, int defaultValue) {
		return Integer.parseInt(arg(args, name, Integer.toString(defaultValue)));
	}

	/**
	 * Nearest-rank percentile: the smallest value with at least {@code percent} % of the values at or
	 * below it.
	 */
	private static long percentile(long[] sorted, int percent) {
		int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
		return sorted[Math.max(0, rank - 1)];
	}

	private static double millis(long nanos) {
		return nanos / 1e6;
	}

}
