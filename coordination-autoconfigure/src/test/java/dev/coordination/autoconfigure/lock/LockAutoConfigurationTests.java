package dev.coordination.autoconfigure.lock;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedLocked.OnTimeout;
import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.internal.DistributedLockedAdvisor;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Lock auto-configuration and {@code @DistributedLocked} checks without etcd.
 */
class LockAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, EtcdAutoConfiguration.class,
				SessionAutoConfiguration.class, LockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void registryAndAdvisorAreDefined() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(DistributedLockRegistry.class)
			.hasSingleBean(DistributedLockedAdvisor.class));
	}

	@Test
	void disabledByProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(DistributedLockRegistry.class));
	}

	@Test
	void prefixWithoutLeadingSlashFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.prefix=locks")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.lock.prefix"));
	}

	@Test
	void invalidKeyExpressionFailsBeanCreationNamingTheMethod() {
		this.contextRunner.withBean(BadExpression.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("@DistributedLocked method " + BadExpression.class.getName() + ".process()")
				.hasStackTraceContaining("invalid key expression"));
	}

	@Test
	void invalidWaitTimeFailsBeanCreationNamingTheMethod() {
		this.contextRunner.withBean(BadWaitTime.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining(BadWaitTime.class.getName() + ".process()")
				.hasStackTraceContaining("invalid waitTime 'soon'"));
	}

	@Test
	void primitiveReturnWithSkipFailsBeanCreationNamingTheMethod() {
		this.contextRunner.withBean(PrimitiveSkip.class)
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining(PrimitiveSkip.class.getName() + ".count()")
				.hasStackTraceContaining("returns int"));
	}

	@Test
	void keyEvaluatingToNullOrEmptyFailsTheCallNamingTheMethod() {
		this.contextRunner.withUserConfiguration(OrdersConfiguration.class).run((context) -> {
			Orders orders = context.getBean(Orders.class);
			assertThatIllegalArgumentException().isThrownBy(() -> orders.process(null))
				.withMessageContaining(Orders.class.getName() + ".process()")
				.withMessageContaining("evaluated to null");
			assertThatIllegalArgumentException().isThrownBy(() -> orders.process(""))
				.withMessageContaining("evaluated to an empty text");
		});
	}

	@Test
	void negativeDefaultWaitTimeFailsNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.default-wait-time=-1s")
			.run((context) -> assertThat(context).getFailure()
				.hasStackTraceContaining("coordination.etcd.lock.default-wait-time"));
	}

	static class BadExpression {

		@DistributedLocked(key = "'orders/' + #id +")
		public void process() {
		}

	}

	static class BadWaitTime {

		@DistributedLocked(key = "'x'", waitTime = "soon")
		public void process() {
		}

	}

	static class PrimitiveSkip {

		@DistributedLocked(key = "'x'", onTimeout = OnTimeout.SKIP)
		public int count() {
			return 1;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OrdersConfiguration {

		@Bean
		Orders orders() {
			return new Orders();
		}

	}

	static class Orders {

		@DistributedLocked(key = "#id")
		public String process(String id) {
			return id;
		}

	}

}
