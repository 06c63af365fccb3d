package dev.coordination.it;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderContext;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockContext;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The order of the starter's annotations and {@code @Transactional} on one method, as the README's
 * "How the annotations work" says: the leadership check first, then the lock, then the transaction,
 * so the transaction begins once the lock is held and commits before it is released; {@code @Async}
 * before all of them.
 */
class AnnotationOrderIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, ElectionAutoConfiguration.class, LockAutoConfiguration.class))
		.withUserConfiguration(Transactions.class)
		.withBean(Orders.class)
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=2s",
				"coordination.etcd.session.safety-margin=500ms");

	@Test
	void theTransactionRunsInsideTheLockWhichRunsInsideTheLeadership() {
		this.contextRunner.run((context) -> {
			await().atMost(Duration.ofSeconds(10))
				.until(() -> context.getBean(LeaderElections.class).election("default").isLeader());
			RecordingTransactionManager transactions = context.getBean(RecordingTransactionManager.class);
			context.getBean(Orders.class).ship("42");
			assertThat(transactions.events).containsExactly("begin: lock held, leading", "commit: lock held, leading");
		});
	}

	@Test
	void anAsyncMethodTakesItsLockOnTheExecutorThread() {
		this.contextRunner.withUserConfiguration(AsyncExecution.class).run((context) -> {
			Orders orders = context.getBean(Orders.class);
			CompletableFuture<Void> release = new CompletableFuture<>();
			orders.exportNow("8", release);
			// through a getter: the proxy's own field is null (README, How the annotations work)
			await().atMost(Duration.ofSeconds(30)).until(() -> orders.exporting() != null);
			assertThat(orders.exporting()).isEqualTo("export-1: lock held");
			assertThat(lockHolders(context, "exports/8")).isOne();
			release.complete(null);
			await().atMost(Duration.ofSeconds(10)).until(() -> lockHolders(context, "exports/8") == 0);
		});
	}

	@Test
	void anAsyncMethodReturningAFutureHoldsItsLockUntilTheFutureCompletes() {
		this.contextRunner.withUserConfiguration(AsyncExecution.class).run((context) -> {
			Orders orders = context.getBean(Orders.class);
			CompletableFuture<String> release = new CompletableFuture<>();
			CompletableFuture<String> call = orders.export("9", release);
			await().atMost(Duration.ofSeconds(30)).until(() -> orders.exporting() != null);
			assertThat(orders.exporting()).endsWith(": lock held");
			assertThat(lockHolders(context, "exports/9")).isOne();
			release.complete("exported");
			assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("exported");
			await().atMost(Duration.ofSeconds(10)).until(() -> lockHolders(context, "exports/9") == 0);
		});
	}

	private static long lockHolders(AssertableApplicationContext context, String key) {
		return context.getBean(DistributedLockRegistry.class)
			.heldLocks()
			.stream()
			.filter((held) -> held.key().equals(key))
			.count();
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAsync
	static class AsyncExecution {

		@Bean
		ThreadPoolTaskExecutor taskExecutor() {
			ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
			executor.setThreadNamePrefix("export-");
			return executor;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableTransactionManagement
	static class Transactions {

		@Bean
		RecordingTransactionManager transactionManager() {
			return new RecordingTransactionManager();
		}

	}

	static class Orders {

		@LeaderOnly
		@DistributedLocked(key = "'orders/' + #id")
		@Transactional
		public void ship(String id) {
		}

		private volatile @Nullable String exporting;

		public @Nullable String exporting() {
			return this.exporting;
		}

		@Async
		@DistributedLocked(key = "'exports/' + #id")
		public void exportNow(String id, CompletableFuture<Void> done) throws Exception {
			this.exporting = Thread.currentThread().getName() + ": "
					+ (LockContext.currentToken().isPresent() ? "lock held" : "no lock");
			done.get(30, TimeUnit.SECONDS);
		}

		@Async
		@DistributedLocked(key = "'exports/' + #id")
		public CompletableFuture<String> export(String id, CompletableFuture<String> done) {
			this.exporting = Thread.currentThread().getName() + ": "
					+ (LockContext.currentHold() != null ? "lock held" : "no lock");
			return done;
		}

	}

	/**
	 * Records, at the beginning and the commit of each transaction, whether the thread holds a lock of
	 * {@code @DistributedLocked} and runs under a term of {@code @LeaderOnly}.
	 */
	static class RecordingTransactionManager extends AbstractPlatformTransactionManager {

		final List<String> events = new CopyOnWriteArrayList<>();

		@Override
		protected Object doGetTransaction() {
			return new Object();
		}

		@Override
		protected void doBegin(Object transaction, TransactionDefinition definition) {
			record("begin");
		}

		@Override
		protected void doCommit(DefaultTransactionStatus status) {
			record("commit");
		}

		@Override
		protected void doRollback(DefaultTransactionStatus status) {
			record("rollback");
		}

		private void record(String step) {
			this.events.add(step + ": " + (LockContext.currentToken().isPresent() ? "lock held" : "no lock") + ", "
					+ (LeaderContext.currentTerm().isPresent() ? "leading" : "no term"));
		}

	}

}
