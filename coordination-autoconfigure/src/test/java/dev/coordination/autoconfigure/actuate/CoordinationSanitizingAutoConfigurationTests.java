package dev.coordination.autoconfigure.actuate;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.env.EnvironmentEndpoint.PropertySourceDescriptor;
import org.springframework.boot.actuate.env.EnvironmentEndpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sanitizing function's auto-configuration, observed through Boot's {@code env} endpoint with
 * {@code show-values=always}, where Boot itself masks nothing.
 */
class CoordinationSanitizingAutoConfigurationTests {

	private static final String MASKED = "******";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(CoordinationSanitizingAutoConfiguration.class));

	@Test
	void sanitizingFunctionIsDefined() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(SanitizingFunction.class)
			.hasBean("coordinationSecretsSanitizingFunction"));
	}

	@Test
	void etcdPasswordIsMaskedAndTheUserNameIsShown() {
		this.contextRunner.run((context) -> {
			Map<String, Object> shown = shown(context, new MapPropertySource("test",
					Map.of("coordination.etcd.password", "secret", "coordination.etcd.username", "app")));
			assertThat(shown).containsEntry("coordination.etcd.password", MASKED)
				.containsEntry("coordination.etcd.username", "app");
		});
	}

	@Test
	void sslBundlePrivateKeysAndPasswordsAreMaskedAndCertificatesAreShown() {
		this.contextRunner.run((context) -> {
			Map<String, Object> properties = new LinkedHashMap<>();
			properties.put("spring.ssl.bundle.pem.etcd.keystore.private-key", "-----BEGIN PRIVATE KEY-----");
			properties.put("spring.ssl.bundle.pem.etcd.keystore.private-key-password", "secret");
			properties.put("spring.ssl.bundle.jks.etcd.keystore.password", "secret");
			properties.put("spring.ssl.bundle.pem.etcd.truststore.certificate", "file:/etc/etcd/ca.crt");
			Map<String, Object> shown = shown(context, new MapPropertySource("test", properties));
			assertThat(shown).containsEntry("spring.ssl.bundle.pem.etcd.keystore.private-key", MASKED)
				.containsEntry("spring.ssl.bundle.pem.etcd.keystore.private-key-password", MASKED)
				.containsEntry("spring.ssl.bundle.jks.etcd.keystore.password", MASKED)
				.containsEntry("spring.ssl.bundle.pem.etcd.truststore.certificate", "file:/etc/etcd/ca.crt");
		});
	}

	@Test
	void otherPropertiesAreShown() {
		this.contextRunner.run((context) -> {
			Map<String, Object> shown = shown(context, new MapPropertySource("test",
					Map.of("coordination.etcd.endpoints", "http://127.0.0.1:2379", "app.password-hint", "ask")));
			assertThat(shown).containsEntry("coordination.etcd.endpoints", "http://127.0.0.1:2379")
				.containsEntry("app.password-hint", "ask");
		});
	}

	@Test
	void etcdPasswordAndBundleKeysFromEnvironmentVariablesAreMasked() {
		this.contextRunner.run((context) -> {
			Map<String, Object> shown = shown(context,
					new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
							Map.of("COORDINATION_ETCD_PASSWORD", "secret", "SPRING_SSL_BUNDLE_PEM_ETCD_KEYSTORE_PRIVATE_KEY",
									"-----BEGIN PRIVATE KEY-----")));
			assertThat(shown).containsEntry("COORDINATION_ETCD_PASSWORD", MASKED)
				.containsEntry("SPRING_SSL_BUNDLE_PEM_ETCD_KEYSTORE_PRIVATE_KEY", MASKED);
		});
	}

	@Test
	void withoutActuatorNoSanitizingFunctionAndTheContextStarts() {
		// imported as an application imports auto-configurations
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean("coordinationSecretsSanitizingFunction"));
	}

	@Test
	void nothingIsDefinedWhenTheStarterIsDisabledOrWithoutJetcd() {
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withPropertyValues("coordination.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean("coordinationSecretsSanitizingFunction"));
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withClassLoader(new FilteredClassLoader("io.etcd.jetcd"))
			.run((context) -> assertThat(context).doesNotHaveBean("coordinationSecretsSanitizingFunction"));
	}

	private static Map<String, Object> shown(AssertableApplicationContext context, PropertySource<?> source) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().forEach((existing) -> environment.getPropertySources().remove(existing.getName()));
		environment.getPropertySources().addFirst(source);
		EnvironmentEndpoint endpoint = new EnvironmentEndpoint(environment,
				context.getBeanProvider(SanitizingFunction.class).orderedStream().toList(), Show.ALWAYS);
		PropertySourceDescriptor descriptor = endpoint.environment(null)
			.getPropertySources()
			.stream()
			.filter((candidate) -> candidate.getName().equals(source.getName()))
			.findFirst()
			.orElseThrow();
		Map<String, Object> shown = new LinkedHashMap<>();
		descriptor.getProperties().forEach((name, value) -> shown.put(name, value.getValue()));
		return shown;
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, CoordinationSanitizingAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

}
