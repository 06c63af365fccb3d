package dev.coordination.benchmarks.config;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.time.Duration;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import dev.coordination.benchmarks.BenchmarkClients;
import dev.coordination.autoconfigure.config.ConfigAutoConfiguration;
import dev.coordination.autoconfigure.config.ConfigProperties;
import dev.coordination.autoconfigure.config.EtcdConfigDataLocationResolver;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.config.ConfigChangedEvent.Change;
import dev.coordination.config.ConfigChangedEvent;
import dev.coordination.config.internal.EtcdConfigDataLoader;
import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.config.internal.EtcdConfigWatcher;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.context.config.ConfigDataLoader;
import org.springframework.boot.context.config.ConfigDataLocationResolver;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * How long a configuration change written to etcd takes to show in an application's
 * {@code Environment}: through the starter's watch of {@code spring.config.import=etcd:}, against a
 * loader that polls etcd every {@value #POLL_DELAY_MILLIS} ms. Starts its own etcd and, in this JVM,
 * one after the other:
 * <ol>
 * <li>The starter: a non-web application {@value #APPLICATION} with the starter's etcd and
 * configuration auto-configurations, {@code spring.config.import=etcd:} and discovery off, which
 * imports the context {@value #CONTEXT} and keeps it live with its watch
 * ({@code coordination.etcd.config.watch.delay}, 20 ms by default: the shortest time between two
 * refreshes). {@code warmup + runs} times,
 * a plain jetcd client puts a new unique value at {@value #KEY}; once the put's answer arrived
 * ("put returned"), this thread reads {@code environment.getProperty("bench.value")} until it
 * returns the new value ("visible"). Before the next put it waits for the
 * {@link ConfigChangedEvent} of that value, so the refresh has finished, and then the watch delay
 * and 5 ms more, so every put is an isolated change against an idle watch; the events are counted
 * to show one refresh per put.</li>
 * <li>Polling, the baseline: a loader on its own jetcd client that reads the prefix {@value #CONTEXT}
 * with a linearizable get on one thread with a fixed delay of {@value #POLL_DELAY_MILLIS} ms between
 * the end of one read and the start of the next (the value of Spring Cloud Consul's
 * {@code spring.cloud.consul.config.watch.delay}), and, when the revision of etcd's answer changed,
 * swaps a volatile map of the properties ({@code bench/value} becomes {@code bench.value}). Same
 * protocol, {@code pollWarmup + pollRuns} times, but each put waits first until a random offset,
 * uniform in [0, {@value #POLL_DELAY_MILLIS}) ms, after the end of the loader's last read, so the puts
 * fall anywhere in the polling cycle and the result is the average case, not a put aligned with a
 * poll. This is plain polling: Spring Cloud Consul's own watch issues a blocking query (its
 * {@code watch.wait-time}, 55 s) after every such delay, which returns when the key changes, so an
 * isolated change reaches it faster than this baseline does.</li>
 * </ol>
 * A latency is {@code visible - put returned}, both {@code System.nanoTime()} of this JVM, so it
 * excludes the put's own round trip, which is printed as its own row. "Visible" is the first read
 * that returns the new value: by default ({@code --wait=park}) the reads are {@value #CHECK_MICROS}
 * µs apart ({@link LockSupport#parkNanos(long)}, in practice up to about 0.1 ms), since a busy
 * spin takes a whole CPU from etcd and the watch on a small machine; {@code --wait=spin} reads in a
 * busy loop with {@link Thread#onSpinWait()}. Prints min, median, p99 (nearest rank: with fewer than
 * 100 runs it is the max) and max of every approach, the ratio of the medians, and the number of
 * refreshes. Every wait is bounded ({@value #TIMEOUT_SECONDS} s, plus the polling delay for the
 * loader); the context, the loader, the clients and etcd are closed at the end, also on failure.
 * <p>
 * Then, still against the starter: {@code bursts} times, {@code burst-size} puts of one key sent at
 * once, and the number of refreshes until the value etcd applied last is in the {@code Environment}; and
 * {@code restarts} times, etcd stopped and started again {@code restart-down-millis} later
 * ({@link dev.coordination.test.EtcdMember#start()} returns once it serves), a put on a new client
 * (which returns once etcd answers), and the time from the put's answer until the
 * {@code Environment} has the value.
 * <p>
 * Arguments: {@code --runs=200 --warmup=50 --poll-runs=30 --poll-warmup=3 --wait=park|spin}
 * (warm-up runs are not counted), {@code --bursts=5 --burst-size=100 --restarts=5 --restart-down-millis=2000}, and
 * {@code --delay=20ms} to set the starter's {@code coordination.etcd.config.watch.delay} (its
 * default when not given).
 */
public final class ConfigPropagationMeasurement {

	static final String APPLICATION = "lat";

	static final String CONTEXT = "/config/" + APPLICATION + "/";

	static final String KEY = CONTEXT + "bench/value";

	static final String PROPERTY = "bench.value";

	static final long POLL_DELAY_MILLIS = 1000;

	private static final long TIMEOUT_SECONDS = BenchmarkClients.TIMEOUT_SECONDS;

	private static final long CHECK_MICROS = 20;

	private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

	private ConfigPropagationMeasurement() {
	}

	public static void main(String[] args) {
		int runs = intArg(args, "runs", 200);
		int warmup = intArg(args, "warmup", 50);
		int pollRuns = intArg(args, "poll-runs", 30);
		int pollWarmup = intArg(args, "poll-warmup", 3);
		boolean spin = "spin".equals(stringArg(args, "wait", "park"));
		String delay = stringArg(args, "delay", null);
		int bursts = intArg(args, "bursts", 5);
		int burstSize = intArg(args, "burst-size", 100);
		int restarts = intArg(args, "restarts", 5);
		long restartDown = intArg(args, "restart-down-millis", 2000);
		int status = 0;
		try {
			requireEtcdConfigData();
			try (EtcdCluster etcd = Etcd.start(EtcdSpec.builder().requireLaunched().build());
					Client client = etcd.newClient()) {
				KV kv = client.getKVClient();
				ByteSequence key = EtcdKeys.bytes(KEY);
				kv.delete(EtcdKeys.bytes(CONTEXT), DeleteOption.builder().isPrefix(true).build())
					.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
				kv.put(key, EtcdKeys.bytes("initial")).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);

				// 1. the starter's watch
				long[] starterPut = new long[runs];
				long[] starterVisible = new long[runs];
				Refreshes refreshes = new Refreshes();
				int refreshesCounted;
				int refreshesInAll;
				Duration watchDelay;
				int[] burstRefreshes = new int[bursts];
				long[] burstPuts = new long[bursts];
				long[] restartPut = new long[restarts];
				long[] restartVisible = new long[restarts];
				try (ConfigurableApplicationContext context = startContext(etcd.endpointsAsString(), delay, refreshes)) {
					Environment environment = context.getEnvironment();
					if (!context.getBean(EtcdConfigWatcher.class).isRunning()
							|| context.getBean(EtcdConfigState.class).contexts().stream().noneMatch(CONTEXT::equals)) {
						throw new IllegalStateException("The starter does not watch " + CONTEXT + ": "
								+ context.getBean(EtcdConfigState.class).contexts());
					}
					if (!"initial".equals(environment.getProperty(PROPERTY))) {
						throw new IllegalStateException("The starter did not import " + KEY + " at start-up: " + PROPERTY
								+ "=" + environment.getProperty(PROPERTY));
					}
					watchDelay = context.getBean(ConfigProperties.class).getWatch().getDelay();
					int before = 0;
					for (int n = 0; n < warmup + runs; n++) {
						if (n == warmup) {
							before = refreshes.count();
						}
						String value = "starter-" + n;
						CompletableFuture<ConfigChangedEvent> refreshed = refreshes.whenApplied(value);
						// an isolated change: the watch has been quiet for longer than its delay
						TimeUnit.NANOSECONDS.sleep(watchDelay.toNanos() + QUIET_NANOS);
						long putAt = System.nanoTime();
						kv.put(key, EtcdKeys.bytes(value)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
						long returnedAt = System.nanoTime();
						long visibleAt = awaitVisible("the Environment", () -> environment.getProperty(PROPERTY), value,
								returnedAt + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS), spin);
						refreshed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
						if (n >= warmup) {
							starterPut[n - warmup] = returnedAt - putAt;
							starterVisible[n - warmup] = visibleAt - returnedAt;
						}
					}
					refreshesCounted = refreshes.count() - before;
					refreshesInAll = refreshes.count();

					// bursts of burstSize puts
					for (int b = 0; b < bursts; b++) {
						int start = refreshes.count();
						TimeUnit.NANOSECONDS.sleep(watchDelay.toNanos() + QUIET_NANOS);
						long firstPutAt = System.nanoTime();
						// sent at once, as fast as etcd takes them
						CompletableFuture<?>[] puts = new CompletableFuture<?>[burstSize];
						for (int i = 0; i < burstSize; i++) {
							puts[i] = kv.put(key, EtcdKeys.bytes("burst-" + b + "-" + i));
						}
						CompletableFuture.allOf(puts).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
						long lastPutAt = System.nanoTime();
						// the client may send them in any order: the last one etcd applied wins
						String last = EtcdKeys
							.string(kv.get(key).get(TIMEOUT_SECONDS, TimeUnit.SECONDS).getKvs().get(0).getValue());
						CompletableFuture<ConfigChangedEvent> refreshed = refreshes.whenApplied(last);
						awaitVisible("the Environment", () -> environment.getProperty(PROPERTY), last,
								lastPutAt + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS), spin);
						refreshed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
						burstRefreshes[b] = refreshes.count() - start;
						burstPuts[b] = lastPutAt - firstPutAt;
					}

					// restarts: etcd stopped and started again, then a put on a new client once it answers
					for (int r = 0; r < restarts; r++) {
						etcd.member(0).stop();
						TimeUnit.MILLISECONDS.sleep(restartDown);
						etcd.member(0).start();
						long startedAt = System.nanoTime();
						String value = "restart-" + r;
						CompletableFuture<ConfigChangedEvent> refreshed = refreshes.whenApplied(value);
						try (Client writer = etcd.newClient()) {
							writer.getKVClient().put(key, EtcdKeys.bytes(value)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
						}
						long returnedAt = System.nanoTime();
						long visibleAt = awaitVisible("the Environment", () -> environment.getProperty(PROPERTY), value,
								returnedAt + TimeUnit.SECONDS.toNanos(3 * TIMEOUT_SECONDS), spin);
						refreshed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
						restartPut[r] = returnedAt - startedAt;
						restartVisible[r] = visibleAt - returnedAt;
						System.out.printf(Locale.ROOT, "%s restart %d: put returned %.1f ms after etcd started, in the "
								+ "Environment %.1f ms later%n", java.time.LocalTime.now(), r + 1, millis(restartPut[r]),
								millis(restartVisible[r]));
					}
				}

				// 2. polling every second
				long[] pollingPut = new long[pollRuns];
				long[] pollingVisible = new long[pollRuns];
				int polls;
				int swaps;
				// new clients: gRPC may still wait to reconnect those that saw the restarts
				try (Client writer = etcd.newClient();
						Client pollingClient = etcd.newClient();
						PollingConfigLoader loader = new PollingConfigLoader(pollingClient.getKVClient(), CONTEXT,
								POLL_DELAY_MILLIS)) {
					kv = writer.getKVClient();
					loader.start();
					String lastValue = EtcdKeys
						.string(kv.get(key).get(TIMEOUT_SECONDS, TimeUnit.SECONDS).getKvs().get(0).getValue());
					awaitVisible("the polling loader", () -> loader.getProperty(PROPERTY), lastValue,
							System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(POLL_DELAY_MILLIS)
									+ TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS),
							false);
					for (int n = 0; n < pollWarmup + pollRuns; n++) {
						String value = "poll-" + n;
						sleepUntil(nextPhase(loader.lastPollEnd(), ThreadLocalRandom.current().nextLong(
								TimeUnit.MILLISECONDS.toNanos(POLL_DELAY_MILLIS))));
						long putAt = System.nanoTime();
						kv.put(key, EtcdKeys.bytes(value)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
						long returnedAt = System.nanoTime();
						long visibleAt = awaitVisible("the polling loader", () -> loader.getProperty(PROPERTY), value,
								returnedAt + TimeUnit.MILLISECONDS.toNanos(POLL_DELAY_MILLIS)
										+ TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS),
								spin);
						if (n >= pollWarmup) {
							pollingPut[n - pollWarmup] = returnedAt - putAt;
							pollingVisible[n - pollWarmup] = visibleAt - returnedAt;
						}
					}
					polls = loader.polls();
					swaps = loader.swaps();
					if (loader.failures() > 0) {
						throw new IllegalStateException(loader.failures() + " reads of the polling loader failed");
					}
				}

				StringBuilder report = new StringBuilder();
				report.append(String.format(Locale.ROOT,
						"Propagation of a put at %s to the property '%s' of application '%s' in this JVM, one change at "
								+ "a time, against %s; reads of the new value %s%n",
						KEY, PROPERTY, APPLICATION, etcd.description(),
						spin ? "in a busy spin" : "every " + CHECK_MICROS + " us (parkNanos)"));
				report.append(String.format(Locale.ROOT,
						"starter: spring.config.import=etcd:, watch delay %d ms, %d runs after %d warm-up; polling: every "
								+ "%d ms (fixed delay), puts at random offsets in the cycle, %d runs after %d warm-up%n",
						watchDelay.toMillis(), runs, warmup, POLL_DELAY_MILLIS, pollRuns, pollWarmup));
				report.append(String.format(Locale.ROOT, "%-44s %6s %9s %9s %9s %9s%n", "approach", "runs", "min ms",
						"p50 ms", "p99 ms", "max ms"));
				report.append(row("starter: put round trip", starterPut));
				report.append(row("starter: put returned -> Environment has it", starterVisible));
				report.append(row("polling 1 s: put round trip", pollingPut));
				report.append(row("polling 1 s: put returned -> map has it", pollingVisible));
				double starterMedian = millis(percentile(sorted(starterVisible), 50));
				double pollingMedian = millis(percentile(sorted(pollingVisible), 50));
				report.append(String.format(Locale.ROOT, "median polling / median starter: %.1f x (%.2f ms / %.2f ms)%n",
						pollingMedian / starterMedian, pollingMedian, starterMedian));
				report.append(String.format(Locale.ROOT,
						"starter refreshes (ConfigChangedEvent): %d for %d measured puts (%d for all %d puts)%n",
						refreshesCounted, runs, refreshesInAll, warmup + runs));
				report.append(String.format(Locale.ROOT, "polling loader: %d reads, %d swaps%n", polls, swaps));
				for (int b = 0; b < bursts; b++) {
					report.append(String.format(Locale.ROOT,
							"burst %d: %d puts sent at once, answered in %.1f ms, applied in %d refreshes%n", b + 1, burstSize,
							millis(burstPuts[b]), burstRefreshes[b]));
				}
				if (restarts > 0) {
					report.append(String.format(Locale.ROOT, "restarts: etcd stopped, started again %d ms later%n",
							restartDown));
					report.append(row("restart: etcd started -> put returned", restartPut));
					report.append(row("restart: put returned -> Environment has it", restartVisible));
				}
				System.out.print(report);
			}
		}
		catch (Exception ex) {
			ex.printStackTrace();
			status = 1;
		}
		// gRPC and etcd watchdog threads must not keep the JVM alive
		System.exit(status);
	}

	/**
	 * Start the starter's etcd and configuration auto-configurations for application
	 * {@value #APPLICATION}, importing its configuration from etcd.
	 * @param endpoints the etcd endpoints
	 * @param delay the watch delay, or {@code null} for the starter's default
	 * @param listener told of every refresh
	 * @return the running context; the caller closes it
	 */
	static ConfigurableApplicationContext startContext(String endpoints, String delay,
			ApplicationListener<ConfigChangedEvent> listener) {
		SpringApplication application = new SpringApplication(ConfigConfiguration.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		application.addListeners(listener);
		Map<String, Object> defaults = new HashMap<>();
		defaults.put("spring.application.name", APPLICATION);
		defaults.put("spring.config.import", "etcd:");
		defaults.put("coordination.etcd.endpoints", endpoints);
		defaults.put("coordination.etcd.discovery.enabled", "false");
		defaults.put("logging.level.dev.coordination", "warn");
		if (delay != null) {
			defaults.put("coordination.etcd.config.watch.delay", delay);
		}
		application.setDefaultProperties(defaults);
		return application.run();
	}

	/**
	 * Fail unless the class path registers the starter's config data resolver and loader as Spring
	 * reads {@code META-INF/spring.factories}: one properties file after the other, where a key
	 * repeated within one file keeps its last value. A shaded jar that merged the files by appending
	 * them has every key twice, and Spring Boot's own loaders win over the starter's.
	 */
	private static void requireEtcdConfigData() throws IOException {
		boolean resolver = false;
		boolean loader = false;
		Enumeration<URL> files = ConfigPropagationMeasurement.class.getClassLoader()
			.getResources("META-INF/spring.factories");
		while (files.hasMoreElements()) {
			Properties factories = new Properties();
			try (InputStream in = files.nextElement().openStream()) {
				factories.load(in);
			}
			resolver |= lists(factories, ConfigDataLocationResolver.class, EtcdConfigDataLocationResolver.class);
			loader |= lists(factories, ConfigDataLoader.class, EtcdConfigDataLoader.class);
		}
		if (!resolver || !loader) {
			throw new IllegalStateException("spring.config.import=etcd: cannot work on this class path: no "
					+ "META-INF/spring.factories registers " + (resolver ? "" : EtcdConfigDataLocationResolver.class.getName()
							+ (loader ? "" : " and ")) + (loader ? "" : EtcdConfigDataLoader.class.getName())
					+ ". In a shaded jar, merge META-INF/spring.factories by key (Spring Boot's"
					+ " org.springframework.boot.maven.PropertiesMergingResourceTransformer, with"
					+ " spring-boot-maven-plugin as a dependency of maven-shade-plugin), not by appending the files"
					+ " (AppendingTransformer): then every key is there twice and the last one wins.");
		}
	}

	private static boolean lists(Properties factories, Class<?> type, Class<?> implementation) {
		String names = factories.getProperty(type.getName(), "");
		return Arrays.stream(names.split(",")).map(String::trim).anyMatch(implementation.getName()::equals);
	}

	/**
	 * Read until {@code value} returns {@code expected}.
	 * @return {@code System.nanoTime()} of the read that returned it
	 */
	private static long awaitVisible(String where, Supplier<String> value, String expected, long deadline,
			boolean spin) {
		while (true) {
			String current = value.get();
			long now = System.nanoTime();
			if (expected.equals(current)) {
				return now;
			}
			if (now - deadline > 0) {
				throw new IllegalStateException(where + " did not show " + PROPERTY + "=" + expected + " in time; it has "
						+ current);
			}
			if (spin) {
				Thread.onSpinWait();
			}
			else {
				LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(CHECK_MICROS));
			}
		}
	}

	/**
	 * The first instant {@code offset} after the end of a polling read that is still ahead: reads
	 * end about every {@value #POLL_DELAY_MILLIS} ms plus a read's own round trip.
	 */
	private static long nextPhase(long lastPollEnd, long offset) {
		long at = lastPollEnd + offset;
		long now = System.nanoTime();
		while (at - now < 0) {
			at += TimeUnit.MILLISECONDS.toNanos(POLL_DELAY_MILLIS);
		}
		return at;
	}

	private static void sleepUntil(long nanoTime) throws InterruptedException {
		long left;
		while ((left = nanoTime - System.nanoTime()) > 0) {
			TimeUnit.NANOSECONDS.sleep(left);
		}
	}

	private static String row(String label, long[] nanos) {
		long[] sorted = sorted(nanos);
		return String.format(Locale.ROOT, "%-44s %6d %9.2f %9.2f %9.2f %9.2f%n", label, sorted.length,
				millis(sorted[0]), millis(percentile(sorted, 50)), millis(percentile(sorted, 99)),
				millis(sorted[sorted.length - 1]));
	}

	private static long[] sorted(long[] values) {
		long[] sorted = values.clone();
		Arrays.sort(sorted);
		return sorted;
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

	private static int intArg(String[] args, String name, int defaultValue) {
		String value = stringArg(args, name, null);
		return (value != null) ? Integer.parseInt(value) : defaultValue;
	}

	private static String stringArg(String[] args, String name, String defaultValue) {
		for (String arg : args) {
			if (arg.startsWith("--" + name + "=")) {
				return arg.substring(name.length() + 3);
			}
		}
		return defaultValue;
	}

	/**
	 * Counts the starter's refreshes, and tells when the one that applied a value of
	 * {@value #PROPERTY} was published.
	 */
	private static final class Refreshes implements ApplicationListener<ConfigChangedEvent> {

		private final AtomicInteger count = new AtomicInteger();

		private final Map<String, CompletableFuture<ConfigChangedEvent>> applied = new ConcurrentHashMap<>();

		CompletableFuture<ConfigChangedEvent> whenApplied(String value) {
			return this.applied.computeIfAbsent(value, (v) -> new CompletableFuture<>());
		}

		int count() {
			return this.count.get();
		}

		@Override
		public void onApplicationEvent(ConfigChangedEvent event) {
			this.count.incrementAndGet();
			Change change = event.getChanges().get(PROPERTY);
			if (change != null && change.newValue() != null) {
				whenApplied(change.newValue()).complete(event);
			}
		}

	}

	/**
	 * The polling baseline: reads a prefix of etcd on one daemon thread with a fixed delay between
	 * reads, and swaps its properties when the revision of the answer changed. A failed read is
	 * counted and the next one tried, as a scheduled watch does.
	 */
	private static final class PollingConfigLoader implements AutoCloseable {

		private final KV kv;

		private final String prefix;

		private final long delayMillis;

		private final ScheduledExecutorService executor;

		private final AtomicInteger polls = new AtomicInteger();

		private final AtomicInteger swaps = new AtomicInteger();

		private final AtomicInteger failures = new AtomicInteger();

		private volatile Map<String, String> properties = Map.of();

		private volatile long revision;

		private volatile long lastPollEnd = System.nanoTime();

		PollingConfigLoader(KV kv, String prefix, long delayMillis) {
			this.kv = kv;
			this.prefix = prefix;
			this.delayMillis = delayMillis;
			this.executor = Executors.newSingleThreadScheduledExecutor((task) -> {
				Thread thread = new Thread(task, "polling-config-loader");
				thread.setDaemon(true);
				return thread;
			});
		}

		void start() {
			this.executor.scheduleWithFixedDelay(this::poll, 0, this.delayMillis, TimeUnit.MILLISECONDS);
		}

		String getProperty(String name) {
			return this.properties.get(name);
		}

		long lastPollEnd() {
			return this.lastPollEnd;
		}

		int polls() {
			return this.polls.get();
		}

		int swaps() {
			return this.swaps.get();
		}

		int failures() {
			return this.failures.get();
		}

		private void poll() {
			try {
				GetResponse response = this.kv.get(EtcdKeys.bytes(this.prefix), GetOption.builder().isPrefix(true).build())
					.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
				long revision = response.getHeader().getRevision();
				if (revision != this.revision) {
					Map<String, String> properties = new HashMap<>();
					for (KeyValue kv : response.getKvs()) {
						String key = EtcdKeys.string(kv.getKey());
						if (key.length() > this.prefix.length()) {
							properties.put(key.substring(this.prefix.length()).replace('/', '.'),
									EtcdKeys.string(kv.getValue()));
						}
					}
					this.properties = Map.copyOf(properties);
					this.revision = revision;
					this.swaps.incrementAndGet();
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			catch (Exception ex) {
				this.failures.incrementAndGet();
			}
			finally {
				this.polls.incrementAndGet();
				this.lastPollEnd = System.nanoTime();
			}
		}

		@Override
		public void close() throws InterruptedException {
			this.executor.shutdownNow();
			if (!this.executor.awaitTermination(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
				throw new IllegalStateException("The polling loader did not stop within " + TIMEOUT_SECONDS + " s");
			}
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, ConfigAutoConfiguration.class })
	static class ConfigConfiguration {

	}

}
