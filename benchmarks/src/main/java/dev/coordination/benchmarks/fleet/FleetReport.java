package dev.coordination.benchmarks.fleet;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import dev.coordination.benchmarks.fleet.FleetMeasurement.FleetRow;
import dev.coordination.benchmarks.fleet.FleetMeasurement.Settings;

/**
 * The scale model's results as a table, as CSV, and extrapolated to 10,000 instances by a
 * least-squares line through each shape's sizes.
 */
final class FleetReport {

	static final int EXTRAPOLATED_SIZE = 10_000;

	private FleetReport() {
	}

	static String text(Settings settings, List<FleetRow> rows, List<String> stops) {
		StringBuilder report = new StringBuilder();
		report.append(String.format(Locale.ROOT, "%s, %d cores, Java %s, %s%n%n", FleetMeasurement.now(),
				Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), settings));
		report.append(String.format(Locale.ROOT,
				"%-7s %6s %9s %9s %9s %8s %9s %8s %8s %9s %9s %9s %9s %9s %9s %9s%n", "members", "N", "unary/s",
				"stream/s", "watchers", "etcd CPU", "db MB", "heap MB", "start s", "reg p50", "reg p99", "reg all",
				"conf p50", "conf p99", "conf all", "handover"));
		for (FleetRow row : rows) {
			report.append(String.format(Locale.ROOT,
					"%-7d %6d %9.1f %9.1f %9.0f %8.3f %9.1f %8.2f %8.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f%n",
					row.members(), row.size(), row.unaryPerSecond(), row.streamMessagesPerSecond(), row.watchers(),
					row.etcdCpuCores(), row.dbBytes() / 1e6, row.heapBytesPerInstance() / 1e6, row.startSeconds(),
					row.registration().p50Millis(), row.registration().p99Millis(),
					row.registration().allP50Millis(), row.configuration().p50Millis(),
					row.configuration().p99Millis(), row.configuration().allP50Millis(), row.failover().p50Millis()));
		}
		report.append(String.format(Locale.ROOT,
				"%nrates are per second of steady state; heap MB is per instance; times in ms: p50/p99 over every"
						+ " instance and sample, 'all' = p50 over samples of the time until the last instance%n"));
		for (int members : rows.stream().map(FleetRow::members).distinct().toList()) {
			List<FleetRow> shape = rows.stream().filter((row) -> row.members() == members).toList();
			if (shape.size() < 2) {
				continue;
			}
			report.append(String.format(Locale.ROOT,
					"%nextrapolated to %,d instances (%d member(s), least-squares line through N = %s): "
							+ "%.0f unary/s, %.0f stream msgs/s, %.0f watchers, etcd CPU %.2f cores, db %.1f MB%n",
					EXTRAPOLATED_SIZE, members, shape.stream().map(FleetRow::size).toList(),
					extrapolate(shape, FleetRow::unaryPerSecond), extrapolate(shape, FleetRow::streamMessagesPerSecond),
					extrapolate(shape, FleetRow::watchers), extrapolate(shape, FleetRow::etcdCpuCores),
					extrapolate(shape, FleetRow::dbBytes) / 1e6));
		}
		for (String stop : stops) {
			report.append(String.format(Locale.ROOT, "%n%s%n", stop));
		}
		return report.toString();
	}

	static String csv(List<FleetRow> rows) {
		StringBuilder csv = new StringBuilder("members,instances,jvms,start_s,unary_per_s,stream_msgs_per_s,watchers,"
				+ "etcd_cpu_cores,db_bytes,heap_bytes_per_instance,registration_p50_ms,registration_p99_ms,"
				+ "registration_all_ms,configuration_p50_ms,configuration_p99_ms,configuration_all_ms,handover_p50_ms\n");
		for (FleetRow row : rows) {
			csv.append(String.format(Locale.ROOT, "%d,%d,%d,%.1f,%.2f,%.2f,%.0f,%.4f,%.0f,%.0f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f%n",
					row.members(), row.size(), row.jvms(), row.startSeconds(), row.unaryPerSecond(),
					row.streamMessagesPerSecond(), row.watchers(), row.etcdCpuCores(), row.dbBytes(),
					row.heapBytesPerInstance(), row.registration().p50Millis(), row.registration().p99Millis(),
					row.registration().allP50Millis(), row.configuration().p50Millis(),
					row.configuration().p99Millis(), row.configuration().allP50Millis(), row.failover().p50Millis()));
		}
		return csv.toString();
	}

	/**
	 * The value at {@link #EXTRAPOLATED_SIZE} of the least-squares line through the rows.
	 */
	static double extrapolate(List<FleetRow> rows, ToDoubleFunction<FleetRow> value) {
		double[] line = line(rows, value);
		return line[0] + line[1] * EXTRAPOLATED_SIZE;
	}

	/**
	 * Intercept and slope of the least-squares line of {@code value} over the rows' sizes.
	 */
	static double[] line(List<FleetRow> rows, ToDoubleFunction<FleetRow> value) {
		int n = rows.size();
		double meanX = rows.stream().mapToDouble(FleetRow::size).average().orElse(0);
		double meanY = rows.stream().mapToDouble(value).average().orElse(0);
		double covariance = 0;
		double variance = 0;
		for (FleetRow row : rows) {
			covariance += (row.size() - meanX) * (value.applyAsDouble(row) - meanY);
			variance += (row.size() - meanX) * (row.size() - meanX);
		}
		double slope = (n < 2 || variance == 0) ? 0 : covariance / variance;
		return new double[] { meanY - slope * meanX, slope };
	}

}
