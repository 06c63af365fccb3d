package dev.coordination.benchmarks;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.Statistics;

/**
 * Plain-text table of JMH results: score and error as JMH reports them, the median and 99th
 * percentile for {@link Mode#SampleTime} benchmarks, and the ratio to the floor a benchmark names
 * with {@link ComparedTo}.
 * <p>
 * The ratio divides medians when both benchmarks are sampled, scores otherwise; it is left blank
 * when the floor did not run or uses another mode or unit. Immutable.
 */
final class ResultTable {

	private static final String[] HEADERS = { "Benchmark", "Mode", "Samples", "Score", "Error", "p50", "p99",
			"Units", "vs floor" };

	private final List<Row> rows;

	ResultTable(List<Row> rows) {
		this.rows = List.copyOf(rows);
	}

	/**
	 * Build the table from the results of a run, in JMH's order.
	 * @param results the results
	 * @return the table
	 */
	static ResultTable of(Collection<RunResult> results) {
		return new ResultTable(results.stream().sorted(RunResult.DEFAULT_SORT_COMPARATOR).map(ResultTable::row)
			.toList());
	}

	List<Row> rows() {
		return this.rows;
	}

	/**
	 * Ratio of a row to its floor.
	 * @param row a row of this table
	 * @return the ratio, or {@code NaN} when there is none
	 */
	double ratio(Row row) {
		if (row.floor() == null) {
			return Double.NaN;
		}
		// a benchmark with parameters is compared with its floor at the same parameters
		int parameters = row.benchmark().indexOf(" (");
		String floorName = row.floor() + ((parameters >= 0) ? row.benchmark().substring(parameters) : "");
		Row floor = this.rows.stream()
			.filter((candidate) -> candidate.benchmark().equals(floorName) || candidate.benchmark().equals(row.floor()))
			.findFirst()
			.orElse(null);
		if (floor == null || !floor.mode().equals(row.mode()) || !floor.unit().equals(row.unit())) {
			return Double.NaN;
		}
		boolean medians = !Double.isNaN(row.p50()) && !Double.isNaN(floor.p50());
		return medians ? row.p50() / floor.p50() : row.score() / floor.score();
	}

	/**
	 * Format the table, one line per benchmark, columns aligned with spaces.
	 * @return the table, ending with a line break
	 */
	String format() {
		List<String[]> lines = new ArrayList<>();
		lines.add(HEADERS);
		for (Row row : this.rows) {
			double ratio = ratio(row);
			lines.add(new String[] { row.benchmark(), row.mode(), Long.toString(row.samples()), number(row.score()),
					Double.isNaN(row.error()) ? "" : "± " + number(row.error()), number(row.p50()), number(row.p99()),
					row.unit(), Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f x %s", ratio,
							floorLabel(row)) });
		}
		int[] widths = new int[HEADERS.length];
		for (String[] line : lines) {
			for (int i = 0; i < line.length; i++) {
				widths[i] = Math.max(widths[i], line[i].length());
			}
		}
		StringBuilder table = new StringBuilder();
		for (String[] line : lines) {
			StringBuilder text = new StringBuilder();
			for (int i = 0; i < line.length; i++) {
				boolean left = i == 0 || i == 1 || i == 7 || i == 8;
				String cell = left ? pad(line[i], widths[i], false) : pad(line[i], widths[i], true);
				text.append(cell).append((i < line.length - 1) ? "  " : "");
			}
			table.append(text.toString().stripTrailing()).append('\n');
		}
		return table.toString();
	}

	private static String floorLabel(Row row) {
		String ownClass = row.benchmark().substring(0, row.benchmark().indexOf('.') + 1);
		return row.floor().startsWith(ownClass) ? row.floor().substring(ownClass.length()) : row.floor();
	}

	private static String pad(String text, int width, boolean right) {
		String padding = " ".repeat(width - text.length());
		return right ? padding + text : text + padding;
	}

	private static String number(double value) {
		if (Double.isNaN(value)) {
			return "";
		}
		return String.format(Locale.ROOT, (Math.abs(value) < 1) ? "%.3f" : "%.1f", value);
	}

	private static Row row(RunResult result) {
		BenchmarkParams params = result.getParams();
		Result<?> primary = result.getPrimaryResult();
		Statistics statistics = primary.getStatistics();
		boolean sampled = params.getMode() == Mode.SampleTime;
		return new Row(name(params), params.getMode().shortLabel(), statistics.getN(), primary.getScore(),
				primary.getScoreError(), sampled ? statistics.getPercentile(50) : Double.NaN,
				sampled ? statistics.getPercentile(99) : Double.NaN, primary.getScoreUnit(), floor(params.getBenchmark()));
	}

	private static String name(BenchmarkParams params) {
		String name = simpleName(params.getBenchmark());
		if (params.getParamsKeys().isEmpty()) {
			return name;
		}
		return name + params.getParamsKeys().stream().map((key) -> key + "=" + params.getParam(key))
			.collect(Collectors.joining(", ", " (", ")"));
	}

	private static String simpleName(String benchmark) {
		int method = benchmark.lastIndexOf('.');
		int type = benchmark.lastIndexOf('.', method - 1);
		return benchmark.substring(type + 1);
	}

	private static String floor(String benchmark) {
		int method = benchmark.lastIndexOf('.');
		try {
			Class<?> type = Class.forName(benchmark.substring(0, method), false, ResultTable.class.getClassLoader());
			String name = benchmark.substring(method + 1);
			for (Method candidate : type.getMethods()) {
				ComparedTo comparedTo = candidate.getAnnotation(ComparedTo.class);
				// a benchmark of several threads is named after its group
				Group group = candidate.getAnnotation(Group.class);
				boolean named = candidate.getName().equals(name) || (group != null && group.value().equals(name));
				if (named && comparedTo != null) {
					return comparedTo.value();
				}
			}
			return null;
		}
		catch (ClassNotFoundException ex) {
			return null;
		}
	}

	/**
	 * One benchmark's result.
	 *
	 * @param benchmark {@code SimpleClassName.method}, followed by the parameters if any
	 * @param mode JMH's short label of the mode
	 * @param samples number of samples (sampled modes) or measurement iterations
	 * @param score JMH's score: the mean for sampled modes
	 * @param error half-width of JMH's 99.9 % confidence interval, {@code NaN} when unknown
	 * @param p50 median, {@code NaN} unless sampled
	 * @param p99 99th percentile, {@code NaN} unless sampled
	 * @param unit unit of the score and percentiles
	 * @param floor floor benchmark as {@code SimpleClassName.method}, or {@code null}
	 */
	record Row(String benchmark, String mode, long samples, double score, double error, double p50, double p99,
			String unit, String floor) {
	}

}
