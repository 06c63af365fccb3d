package dev.coordination.benchmarks.election;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.benchmarks.ComparedTo;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeaderTerm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The cost of calling a {@link LeaderOnly @LeaderOnly} method on the leader, against the same
 * method called without the advice, and the cost of the leadership check alone
 * ({@link LeaderElection#currentTerm()}).
 * <p>
 * The trial builds a Spring context with the starter's etcd, session and election
 * auto-configurations (and Boot's AOP auto-configuration, which creates the proxy) against the etcd
 * in {@value #ENDPOINTS_PROPERTY}, and waits until this JVM leads election {@code default}. From
 * then on a call makes no etcd request: the interceptor checks the term and the session's local
 * deadline. Every iteration fails if leadership was lost meanwhile, since the skipped call would
 * be measured instead.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LeaderOnlyBenchmark {

	/**
	 * The endpoints {@code BenchmarkMain} hands to the forked JVM.
	 */
	static final String ENDPOINTS_PROPERTY = "coordination.benchmark.endpoints";

	private ConfigurableApplicationContext context;

	private LeaderElection election;

	private LeaderTask leaderOnly;

	private LeaderTask plain;

	@Setup(Level.Trial)
	public void startContext() throws InterruptedException {
		String endpoints = System.getProperty(ENDPOINTS_PROPERTY);
		if (endpoints == null || endpoints.isBlank()) {
			throw new IllegalStateException("No etcd endpoints: run through BenchmarkMain or pass -D" + ENDPOINTS_PROPERTY);
		}
		SpringApplication application = new SpringApplication(BenchmarkConfiguration.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		application.setDefaultProperties(Map.of("coordination.etcd.endpoints", endpoints,
				"coordination.etcd.instance.id", "leader-only-benchmark-" + ProcessHandle.current().pid()));
		this.context = application.run();
		this.election = this.context.getBean(LeaderElections.class).election(LeaderElection.DEFAULT);
		if (!this.election.awaitLeadership(Duration.ofSeconds(30))) {
			throw new IllegalStateException("This JVM did not become leader within 30 s");
		}
		this.leaderOnly = this.context.getBean(LeaderTask.class);
		this.plain = new LeaderTask();
		if (!AopUtils.isAopProxy(this.leaderOnly) || this.leaderOnly.work() == null) {
			throw new IllegalStateException("The @LeaderOnly method is not advised, or was skipped on the leader");
		}
	}

	@TearDown(Level.Iteration)
	public void checkStillLeader() {
		if (!this.election.isLeader()) {
			throw new IllegalStateException("Leadership was lost during the iteration: skipped calls were measured");
		}
	}

	@TearDown(Level.Trial)
	public void closeContext() {
		if (this.context != null) {
			this.context.close();
		}
	}

	/**
	 * The method without the advice.
	 * @return the method's result
	 */
	@Benchmark
	public String plainCall() {
		return this.plain.work();
	}

	/**
	 * The same method through the {@code @LeaderOnly} proxy, on the leader.
	 * @return the method's result
	 */
	@Benchmark
	@ComparedTo("LeaderOnlyBenchmark.plainCall")
	public String leaderOnlyCall() {
		return this.leaderOnly.work();
	}

	/**
	 * The check the advice makes at every call, alone: the term and the session's local deadline.
	 * @return the current term
	 */
	@Benchmark
	@ComparedTo("LeaderOnlyBenchmark.plainCall")
	public Optional<LeaderTerm> currentTermCheck() {
		return this.election.currentTerm();
	}

	/**
	 * A bean with a trivial leader-only method.
	 */
	public static class LeaderTask {

		private final String result = "done";

		@LeaderOnly
		public String work() {
			return this.result;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ AopAutoConfiguration.class, EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			ElectionAutoConfiguration.class })
	static class BenchmarkConfiguration {

		@Bean
		LeaderTask leaderTask() {
			return new LeaderTask();
		}

	}

}
