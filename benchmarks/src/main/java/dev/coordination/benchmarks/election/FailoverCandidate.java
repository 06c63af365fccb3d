package dev.coordination.benchmarks.election;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.lock.DistributedLock;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.lock.DistributedLockRegistry;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * A candidate JVM of {@link FailoverMeasurement}: an application with the starter's etcd, session
 * and election auto-configurations that campaigns in election {@code default}.
 * <p>
 * It prints {@code READY <pid>}, {@code GRANTED <token> <nanoTime>},
 * {@code REVOKED <token> <reason> <nanoTime>} and, as its context starts closing,
 * {@code CLOSING <nanoTime>} on stdout ({@code System.nanoTime()} is one clock for all processes of
 * a Linux host). A {@code RESIGN} line on stdin makes it print
 * {@code RESIGNING <nanoTime>}, call {@link LeaderElection#resign()}, and print
 * {@code RESIGNED <nanoTime>}. A {@code LOCKS <n>} line makes it take and release {@code n} locks,
 * each of its own key, and print {@code LOCKED <n> <nanoTime>} once the last release is done. It
 * exits when stdin closes, that is when the measurement is gone.
 */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration({ EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
		ElectionAutoConfiguration.class, LockAutoConfiguration.class })
public class FailoverCandidate {

	public static void main(String[] args) throws IOException, InterruptedException {
		SpringApplication application = new SpringApplication(FailoverCandidate.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		ConfigurableApplicationContext context = application.run(args);
		LeaderElection election = context.getBean(LeaderElections.class).election(LeaderElection.DEFAULT);
		print("READY " + ProcessHandle.current().pid());
		BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
		String command;
		while ((command = commands.readLine()) != null) {
			if (command.equals("RESIGN")) {
				print("RESIGNING " + System.nanoTime());
				election.resign();
				print("RESIGNED " + System.nanoTime());
			}
			else if (command.startsWith("LOCKS ")) {
				int rounds = Integer.parseInt(command.substring(6));
				takeLocks(context.getBean(DistributedLockRegistry.class), context.getBean(EtcdTemplate.class), rounds);
				print("LOCKED " + rounds + " " + System.nanoTime());
			}
		}
		context.close();
		System.exit(0);
	}

	/**
	 * Take and release {@code rounds} locks, each of its own key so that every release is a delete in
	 * etcd (a lock taken again while its release is in flight keeps its key), then wait until the
	 * last key is gone.
	 */
	private static void takeLocks(DistributedLockRegistry locks, EtcdTemplate etcd, int rounds)
			throws InterruptedException {
		String prefix = "failover-warm/" + ProcessHandle.current().pid() + "/";
		for (int round = 0; round < rounds; round++) {
			DistributedLock lock = locks.obtain(prefix + round);
			lock.lock();
			lock.unlock();
		}
		// the releases run in the background: wait until etcd has none of the keys left
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (etcd.getPrefix("/locks/" + prefix).getCount() > 0) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("The lock keys under /locks/" + prefix + " were not released within 30 s");
			}
			TimeUnit.MILLISECONDS.sleep(10);
		}
	}

	@Bean
	Reporter reporter() {
		return new Reporter();
	}

	static synchronized void print(String line) {
		System.out.println(line);
		System.out.flush();
	}

	/**
	 * Prints the leadership events.
	 */
	static class Reporter {

		@EventListener
		void granted(LeadershipGrantedEvent event) {
			print("GRANTED " + event.getToken() + " " + System.nanoTime());
		}

		// before every other listener, the election's hand-over among them
		@EventListener
		@Order(Ordered.HIGHEST_PRECEDENCE)
		void closing(ContextClosedEvent event) {
			print("CLOSING " + System.nanoTime());
		}

		@EventListener
		void revoked(LeadershipRevokedEvent event) {
			print("REVOKED " + event.getToken() + " " + event.getReason() + " " + System.nanoTime());
		}

	}

}
