package dev.coordination.autoconfigure.integration;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.integration.internal.EtcdIntegrationLockRegistry;
import dev.coordination.lock.DistributedLock;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.support.locks.DefaultLockRegistry;
import org.springframework.integration.support.locks.LockRegistry;
import org.springframework.integration.support.locks.RenewableLockRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Spring Integration lock auto-configuration, without etcd: the starter's session never gets a
 * lease, which is enough to see which beans exist and that obtaining a lock needs no etcd call.
 */
class IntegrationLockAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class, IntegrationLockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void lockRegistryOverDistributedLocksIsDefinedWithSpringIntegration() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed()
				.hasSingleBean(LockRegistry.class)
				.hasSingleBean(RenewableLockRegistry.class)
				.hasSingleBean(EtcdIntegrationLockRegistry.class);
			LockRegistry<?> registry = context.getBean(LockRegistry.class);
			assertThat(registry.obtain("orders/42")).isInstanceOf(DistributedLock.class)
				.extracting((lock) -> ((DistributedLock) lock).key())
				.isEqualTo("orders/42");
		});
	}

	@Test
	void nonStringKeyIsRejectedNamingItsType() {
		this.contextRunner.run((context) -> {
			EtcdIntegrationLockRegistry registry = context.getBean(EtcdIntegrationLockRegistry.class);
			assertThatIllegalArgumentException().isThrownBy(() -> registry.obtain(42))
				.withMessageContaining("must be a String")
				.withMessageContaining("java.lang.Integer");
		});
	}

	@Test
	void renewingALockTheThreadDoesNotHoldFails() {
		this.contextRunner.run((context) -> assertThatIllegalStateException()
			.isThrownBy(() -> context.getBean(EtcdIntegrationLockRegistry.class).renewLock("orders/42"))
			.withMessageContaining("orders/42"));
	}

	@Test
	void noLockRegistryWithoutSpringIntegration() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(LockRegistry.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(EtcdIntegrationLockRegistry.class));
	}

	@Test
	void noLockRegistryWithoutDistributedLocks() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LockRegistry.class));
	}

	@Test
	void backsOffForTheApplicationsLockRegistry() {
		this.contextRunner.withUserConfiguration(UserLockRegistryConfiguration.class)
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(LockRegistry.class)
				.doesNotHaveBean(EtcdIntegrationLockRegistry.class)
				.getBean(LockRegistry.class)
				.isInstanceOf(DefaultLockRegistry.class));
	}

	@Configuration(proxyBeanMethods = false)
	static class UserLockRegistryConfiguration {

		@Bean
		DefaultLockRegistry userLockRegistry() {
			return new DefaultLockRegistry();
		}

	}

}
