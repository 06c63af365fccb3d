package dev.coordination.benchmarks.startup;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import dev.coordination.election.LeaderOnly;
import dev.coordination.lock.DistributedLocked;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The application of {@link StartupMeasurement}: a web application with one controller, a
 * {@code @LeaderOnly} scheduled job and a {@code @DistributedLocked} method, as a service using
 * the starter would have; with {@code coordination.enabled=false} the same application without
 * the starter's beans.
 * <p>
 * Prints {@code READY <nanoTime>} once started ({@code System.nanoTime()} is one clock for all
 * processes of a Linux host), then on a line on stdin (or its end) closes the context and prints
 * {@code CLOSED <nanos the close took>}.
 */
@SpringBootApplication(proxyBeanMethods = false)
@EnableScheduling
public class StartupApplication {

	public static void main(String[] args) throws IOException {
		SpringApplication application = new SpringApplication(StartupApplication.class);
		application.setBannerMode(Banner.Mode.OFF);
		ConfigurableApplicationContext context = application.run(args);
		print("READY " + System.nanoTime());
		new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
		long closing = System.nanoTime();
		context.close();
		print("CLOSED " + (System.nanoTime() - closing));
		System.exit(0);
	}

	static void print(String line) {
		System.out.println(line);
		System.out.flush();
	}

	@Bean
	Jobs jobs() {
		return new Jobs();
	}

	/**
	 * What a service guards with the starter.
	 */
	static class Jobs {

		@Scheduled(fixedDelay = 60_000)
		@LeaderOnly
		public void report() {
		}

		@DistributedLocked(key = "'orders/' + #id")
		public String order(String id) {
			return id;
		}

	}

	/**
	 * One endpoint (found by component scanning).
	 */
	@RestController
	static class Greeting {

		@GetMapping("/")
		String hello() {
			return "hello";
		}

	}

}
