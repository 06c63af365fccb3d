package dev.coordination.benchmarks.fleet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * One scrape of the Prometheus metrics of every member of an etcd cluster ({@code /metrics} on its
 * client URL), summed over members.
 *
 * @param nanos when it was taken
 * @param text the members' metric lines
 */
record EtcdMetrics(long nanos, List<String> text) {

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

	static EtcdMetrics scrape(List<URI> members) throws IOException, InterruptedException {
		long nanos = System.nanoTime();
		StringBuilder all = new StringBuilder();
		for (URI member : members) {
			HttpRequest request = HttpRequest.newBuilder(member.resolve("/metrics")).timeout(Duration.ofSeconds(30)).build();
			all.append(http.send(request, HttpResponse.BodyHandlers.ofString()).body()).append('\n');
		}
		return new EtcdMetrics(nanos, all.toString().lines().filter((line) -> !line.startsWith("#")).toList());
	}

	/**
	 * The sum over members and series of {@code name}, over series whose labels contain
	 * {@code labelFilter} (empty: all).
	 */
	double sum(String name, String labelFilter) {
		double sum = 0;
		for (String line : this.text) {
			int space = line.lastIndexOf(' ');
			if (space < 0) {
				continue;
			}
			String series = line.substring(0, space);
			int brace = series.indexOf('{');
			String metric = (brace < 0) ? series : series.substring(0, brace);
			if (metric.equals(name) && series.contains(labelFilter)) {
				sum += Double.parseDouble(line.substring(space + 1));
			}
		}
		return sum;
	}

	/**
	 * The largest value of {@code name} over members and series.
	 */
	double max(String name) {
		double max = 0;
		for (String line : this.text) {
			if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
				max = Math.max(max, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
			}
		}
		return max;
	}

	/**
	 * Per second from {@code earlier} to this scrape.
	 */
	double rate(EtcdMetrics earlier, String name, String labelFilter) {
		double seconds = (this.nanos - earlier.nanos) / 1e9;
		return (sum(name, labelFilter) - earlier.sum(name, labelFilter)) / seconds;
	}

}
