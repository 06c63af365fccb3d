package dev.coordination.benchmarks.health;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdHealthContributorAutoConfiguration;
import dev.coordination.benchmarks.LatencyRows;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdHealthIndicator;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * How long a health probe takes: starts its own etcd and, in this JVM, the starter's etcd
 * auto-configuration with its {@code etcd} health indicator, then calls
 * {@link EtcdHealthIndicator#health()} once a millisecond for {@code --seconds} with etcd up, and
 * again with etcd paused (SIGSTOP), long enough for several background checks to time out. The
 * baseline is the status check the indicator made on every call before: one bounded
 * {@code Status} request to the member, waited for, with etcd up ({@code --calls} times) and paused
 * (three times: each costs the request timeout). Prints min, median, p99 and max of each, and the
 * statuses the probes saw. Every wait is bounded; the context and etcd are closed at the end, also
 * on failure.
 * <p>
 * Arguments: {@code --seconds=5 --calls=1000 --interval=500ms --request-timeout=2s}.
 */
public final class HealthProbeMeasurement {

	private static final int LABEL_WIDTH = 40;

	private HealthProbeMeasurement() {
	}

	public static void main(String[] args) {
		int seconds = LatencyRows.intArg(args, "seconds", 5);
		int calls = LatencyRows.intArg(args, "calls", 1000);
		String interval = LatencyRows.arg(args, "interval", "500ms");
		String requestTimeout = LatencyRows.arg(args, "request-timeout", "2s");
		int status = 0;
		try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build());
				ConfigurableApplicationContext context = start(etcd.endpointsAsString(),
						Map.of("management.health.etcd.interval", interval, "coordination.etcd.request-timeout",
								requestTimeout, "logging.level.dev.coordination", "warn"))) {
			EtcdHealthIndicator indicator = context.getBean(EtcdHealthIndicator.class);
			EtcdTemplate template = context.getBean(EtcdTemplate.class);
			URI member = URI.create(etcd.endpointsAsString().split(",")[0]);
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
			while (indicator.health().getStatus() != Status.UP) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("etcd health not UP within 10 s");
				}
				TimeUnit.MILLISECONDS.sleep(10);
			}
			Map<String, Integer> upStatuses = new TreeMap<>();
			long[] up = probe(indicator, seconds, upStatuses);
			long[] blockingUp = new long[calls];
			for (int i = 0; i < calls; i++) {
				blockingUp[i] = blockingCheck(template, member);
			}
			etcd.member(0).pause();
			Map<String, Integer> pausedStatuses = new TreeMap<>();
			long[] paused;
			long[] blockingPaused = new long[3];
			try {
				paused = probe(indicator, seconds, pausedStatuses);
				for (int i = 0; i < blockingPaused.length; i++) {
					blockingPaused[i] = blockingCheck(template, member);
				}
			}
			finally {
				etcd.member(0).resume();
			}
			StringBuilder report = new StringBuilder();
			report.append(String.format(Locale.ROOT,
					"etcd health indicator, interval %s, request timeout %s, one call a millisecond for %d s, "
							+ "against %s%n",
					interval, requestTimeout, seconds, etcd.description()));
			report.append(LatencyRows.header(LABEL_WIDTH, "", "calls"));
			report.append(LatencyRows.row(LABEL_WIDTH, "health(), etcd up", up));
			report.append(LatencyRows.row(LABEL_WIDTH, "health(), etcd paused", paused));
			report.append(LatencyRows.row(LABEL_WIDTH, "status check per call, etcd up", blockingUp));
			report.append(LatencyRows.row(LABEL_WIDTH, "status check per call, etcd paused", blockingPaused));
			report.append("statuses, etcd up: ").append(upStatuses).append(System.lineSeparator());
			report.append("statuses, etcd paused: ").append(pausedStatuses).append(System.lineSeparator());
			System.out.print(report);
		}
		catch (Exception ex) {
			ex.printStackTrace();
			status = 1;
		}
		// gRPC and etcd watchdog threads must not keep the JVM alive
		System.exit(status);
	}

	private static long[] probe(EtcdHealthIndicator indicator, int seconds, Map<String, Integer> statuses)
			throws InterruptedException {
		long[] took = new long[seconds * 1000];
		for (int i = 0; i < took.length; i++) {
			long start = System.nanoTime();
			Status status = indicator.health().getStatus();
			took[i] = System.nanoTime() - start;
			statuses.merge(status.getCode(), 1, Integer::sum);
			TimeUnit.MILLISECONDS.sleep(1);
		}
		return took;
	}

	/**
	 * The check the indicator made on every call before: ask the member, wait for the answer or the
	 * request timeout.
	 */
	private static long blockingCheck(EtcdTemplate template, URI member) {
		long start = System.nanoTime();
		try {
			template.status(member, template.getRequestTimeout()).join();
		}
		catch (RuntimeException ex) {
			// DOWN: the time is what counts
		}
		return System.nanoTime() - start;
	}

	private static ConfigurableApplicationContext start(String endpoints, Map<String, Object> properties) {
		SpringApplication application = new SpringApplication(HealthConfiguration.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		Map<String, Object> defaults = new TreeMap<>(properties);
		defaults.put("coordination.etcd.endpoints", endpoints);
		application.setDefaultProperties(defaults);
		return application.run();
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ SslAutoConfiguration.class, EtcdAutoConfiguration.class,
			EtcdHealthContributorAutoConfiguration.class })
	static class HealthConfiguration {

	}

}
