package dev.coordination.autoconfigure.shedlock;

import java.util.Optional;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.lock.internal.EtcdShedLockProvider;
import net.javacrumbs.shedlock.core.LockProvider;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ShedLock auto-configuration without etcd: which {@link LockProvider} the context gets.
 */
class ShedLockAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class, ShedLockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void providerOverTheLockRegistryWithShedLockPresent() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(LockProvider.class)
			.hasSingleBean(EtcdShedLockProvider.class));
	}

	@Test
	void noProviderWithShedLockAbsent() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(LockProvider.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean("shedLockProvider"));
	}

	@Test
	void noProviderWithLocksDisabled() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(LockProvider.class));
	}

	@Test
	void backsOffForTheApplicationsProvider() {
		this.contextRunner.withUserConfiguration(OwnProvider.class)
			.run((context) -> assertThat(context).hasSingleBean(LockProvider.class)
				.doesNotHaveBean(EtcdShedLockProvider.class));
	}

	@Configuration(proxyBeanMethods = false)
	static class OwnProvider {

		@Bean
		LockProvider ownLockProvider() {
			return (configuration) -> Optional.empty();
		}

	}

}
