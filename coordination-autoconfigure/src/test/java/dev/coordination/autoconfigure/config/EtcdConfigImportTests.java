package dev.coordination.autoconfigure.config;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.config.internal.ConfigHealthIndicator;
import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.config.internal.EtcdConfigWatcher;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * {@code spring.config.import=etcd:} in a real {@link SpringApplication} (an
 * {@code ApplicationContextRunner} does not process imports), without etcd: what the import hands
 * to the application context, which the auto-configuration tests simulate, and the import's own
 * checks of the properties it reads.
 */
class EtcdConfigImportTests {

	private static final String[] ETCD = { "--coordination.etcd.endpoints=" + ConfigAutoConfigurationTests.ENDPOINT,
			"--coordination.etcd.connect-timeout=200ms", "--coordination.etcd.request-timeout=200ms",
			"--spring.application.name=orders", "--spring.main.banner-mode=off" };

	@Test
	void optionalImportWithoutEtcdStartsWaitingAndIsWatchedAndReportedByHealth() {
		try (ConfigurableApplicationContext context = run("--spring.config.import=optional:etcd:")) {
			EtcdConfigState state = context.getBean(EtcdConfigDataLocationResolver.STATE_BEAN, EtcdConfigState.class);
			assertThat(state.contexts()).containsExactly("/config/application/", "/config/orders/");
			assertThat(state.state()).isEqualTo("waiting");
			assertThat(context.getBean(EtcdConfigWatcher.class).getState()).isSameAs(state);
			Health health = context.getBean(ConfigHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UNKNOWN);
			assertThat(health.getDetails()).containsEntry("state", "waiting");
		}
	}

	@Test
	void withoutAnImportThereIsNoStateWatcherOrHealthIndicator() {
		try (ConfigurableApplicationContext context = run()) {
			assertThat(context.getBeansOfType(EtcdConfigState.class)).isEmpty();
			assertThat(context.getBeansOfType(EtcdConfigWatcher.class)).isEmpty();
			assertThat(context.getBeansOfType(ConfigHealthIndicator.class)).isEmpty();
		}
	}

	@Test
	void requiredImportWithoutEtcdFailsStartUpNamingTheEndpointsAndTheOptionalImport() {
		assertThatException().isThrownBy(() -> run("--spring.config.import=etcd:").close())
			.withStackTraceContaining(ConfigAutoConfigurationTests.ENDPOINT)
			.withStackTraceContaining("optional:etcd:");
	}

	@Test
	void prefixWithoutLeadingSlashFailsTheImportNamingTheProperty() {
		assertThatException()
			.isThrownBy(() -> run("--spring.config.import=optional:etcd:", "--coordination.etcd.config.prefix=config")
				.close())
			.isInstanceOf(InvalidConfigurationPropertyValueException.class)
			.withMessageContaining("coordination.etcd.config.prefix");
	}

	@Test
	void unknownFormatFailsTheImportNamingTheProperty() {
		assertThatException()
			.isThrownBy(() -> run("--spring.config.import=optional:etcd:", "--coordination.etcd.config.format=json")
				.close())
			.isInstanceOf(InvalidConfigurationPropertyValueException.class)
			.withMessageContaining("coordination.etcd.config.format");
	}

	@Test
	void explicitPrefixWithoutLeadingSlashFailsTheImportNamingIt() {
		assertThatException().isThrownBy(() -> run("--spring.config.import=optional:etcd:other").close())
			.isInstanceOf(InvalidConfigurationPropertyValueException.class)
			.withMessageContaining("spring.config.import");
	}

	private static ConfigurableApplicationContext run(String... args) {
		SpringApplication application = new SpringApplication(Application.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		String[] all = new String[ETCD.length + args.length];
		System.arraycopy(ETCD, 0, all, 0, ETCD.length);
		System.arraycopy(args, 0, all, ETCD.length, args.length);
		return application.run(all);
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, ConfigAutoConfiguration.class,
			ConfigHealthContributorAutoConfiguration.class })
	static class Application {

	}

}
