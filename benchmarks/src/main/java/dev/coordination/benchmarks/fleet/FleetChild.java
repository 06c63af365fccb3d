package dev.coordination.benchmarks.fleet;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.coordination.autoconfigure.config.ConfigAutoConfiguration;
import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.config.ConfigChangedEvent;
import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceAddedEvent;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeadershipGrantedEvent;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

/**
 * One JVM of {@link FleetMeasurement}: hosts {@code count} simulated instances of service
 * {@value #SERVICE}, numbered from {@code first}. Each is a whole application context with the
 * starter's etcd client, session, registration and catalog, configuration import and watch
 * ({@code spring.config.import=etcd:}), and a candidacy in election {@code default}.
 * <p>
 * Prints {@code BASE <heap bytes>} before the instances start and {@code READY} once all have; then,
 * with {@code System.nanoTime()} (one clock for all processes of a Linux host):
 * {@code REG <instance> <instance id> <nanos>} when an instance's catalog sees a new instance of
 * service {@value #PROBE_SERVICE}, {@code CONF <instance> <value> <nanos>} when an instance's
 * configuration changes {@value #MARKER}, {@code GRANTED <instance> <nanos>} when one leads.
 * Commands on stdin: {@code MEM} (prints {@code MEM <heap bytes after a GC>}), {@code CLOSE-LEADER}
 * (the instance that leads, if here, prints {@code CLOSING <nanos>} and closes). Exits when stdin
 * ends.
 * <p>
 * Arguments: {@code <endpoints> <first> <count>}.
 */
public final class FleetChild {

	static final String SERVICE = "fleet";

	static final String PROBE_SERVICE = "fleet-probe";

	static final String MARKER = "fleet.marker";

	private final List<Instance> instances = Collections.synchronizedList(new ArrayList<>());

	private FleetChild() {
	}

	public static void main(String[] args) throws Exception {
		String endpoints = args[0];
		int first = Integer.parseInt(args[1]);
		int count = Integer.parseInt(args[2]);
		print("BASE " + usedHeapAfterGc());
		FleetChild child = new FleetChild();
		ExecutorService starting = Executors.newFixedThreadPool(2);
		List<Future<?>> started = new ArrayList<>();
		for (int i = first; i < first + count; i++) {
			int number = i;
			started.add(starting.submit(() -> child.instances.add(start(endpoints, number))));
		}
		for (Future<?> future : started) {
			future.get();
		}
		starting.shutdown();
		print("READY");
		BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
		String command;
		while ((command = commands.readLine()) != null) {
			if (command.equals("MEM")) {
				print("MEM " + usedHeapAfterGc());
			}
			else if (command.equals("CLOSE-LEADER")) {
				child.closeLeader();
			}
		}
		System.exit(0);
	}

	private void closeLeader() {
		synchronized (this.instances) {
			for (Instance instance : this.instances) {
				if (instance.election().isLeader()) {
					this.instances.remove(instance);
					print("CLOSING " + System.nanoTime());
					instance.context().close();
					return;
				}
			}
		}
	}

	private static Instance start(String endpoints, int number) {
		SpringApplication application = new SpringApplication(InstanceConfiguration.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		application.setLogStartupInfo(false);
		ConfigurableApplicationContext context = application.run("--coordination.etcd.endpoints=" + endpoints,
				"--spring.application.name=" + SERVICE, "--spring.config.import=etcd:",
				"--coordination.etcd.instance.id=" + SERVICE + "-" + number,
				"--coordination.etcd.instance.host=127.0.0.1", "--coordination.etcd.instance.port=" + (20000 + number),
				"--coordination.etcd.request-timeout=10s", "--fleet.instance=" + number);
		LeaderElection election = context.getBean(LeaderElections.class).election(LeaderElection.DEFAULT);
		return new Instance(context, election);
	}

	static long usedHeapAfterGc() {
		System.gc();
		System.gc();
		return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
	}

	static synchronized void print(String line) {
		System.out.println(line);
		System.out.flush();
	}

	private record Instance(ConfigurableApplicationContext context, LeaderElection election) {
	}

	/**
	 * One simulated instance: the starter's capabilities and the listeners that report to the
	 * measurement.
	 */
	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			ElectionAutoConfiguration.class, DiscoveryAutoConfiguration.class, ConfigAutoConfiguration.class })
	static class InstanceConfiguration {

		@Bean
		Reporter reporter(org.springframework.core.env.Environment environment) {
			return new Reporter(environment.getRequiredProperty("fleet.instance"));
		}

	}

	/**
	 * Prints what the measurement times.
	 */
	static class Reporter implements DiscoveryListener {

		private final String instance;

		Reporter(String instance) {
			this.instance = instance;
		}

		@Override
		public void added(InstanceAddedEvent event) {
			if (event.getInstance().serviceId().equals(PROBE_SERVICE)) {
				print("REG " + this.instance + " " + event.getInstance().instanceId() + " " + System.nanoTime());
			}
		}

		@EventListener
		void configChanged(ConfigChangedEvent event) {
			ConfigChangedEvent.Change change = event.getChanges().get(MARKER);
			if (change != null) {
				print("CONF " + this.instance + " " + change.newValue() + " " + System.nanoTime());
			}
		}

		@EventListener
		void granted(LeadershipGrantedEvent event) {
			print("GRANTED " + this.instance + " " + System.nanoTime());
		}

	}

}
