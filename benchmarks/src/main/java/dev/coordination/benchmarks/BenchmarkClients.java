package dev.coordination.benchmarks;

import java.util.Arrays;

import io.etcd.jetcd.Client;

/**
 * Builds the jetcd clients of the benchmarks from the endpoints {@link BenchmarkMain} hands to the
 * forked benchmark JVM.
 */
public final class BenchmarkClients {

	/**
	 * System property holding the comma-separated client endpoints of the etcd under test.
	 */
	static final String ENDPOINTS_PROPERTY = "coordination.benchmark.endpoints";

	/**
	 * Bound of every set-up step and etcd call the benchmarks wait for, in seconds: generous, so a
	 * loaded machine (load average 20 was seen) slows a run down instead of failing it.
	 */
	public static final long TIMEOUT_SECONDS = 30;

	private BenchmarkClients() {
	}

	/**
	 * Build a plain jetcd client to the endpoints in {@value #ENDPOINTS_PROPERTY}. The caller closes it.
	 * @return a new client
	 * @throws IllegalStateException if the property is not set
	 */
	static Client newClient() {
		String endpoints = System.getProperty(ENDPOINTS_PROPERTY);
		if (endpoints == null || endpoints.isBlank()) {
			throw new IllegalStateException("No etcd endpoints: run the benchmarks through BenchmarkMain "
					+ "(java -jar benchmarks/target/benchmarks.jar) or pass -D" + ENDPOINTS_PROPERTY
					+ "=http://127.0.0.1:2379");
		}
		String[] urls = Arrays.stream(endpoints.split(",")).map(String::trim).filter((url) -> !url.isEmpty())
			.toArray(String[]::new);
		return Client.builder().endpoints(urls).build();
	}

}
