package dev.coordination.it;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderContext;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockContext;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
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
 * so the transaction begins once the lock is held and commits before it is released.
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
