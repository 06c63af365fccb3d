package dev.coordination.autoconfigure.config;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.config.ConfigListener;
import dev.coordination.config.ConfigTemplate;
import dev.coordination.config.FeatureFlags;
import dev.coordination.config.internal.ConfigMetrics;
import dev.coordination.config.internal.EtcdConfigDataLoader;
import dev.coordination.config.internal.EtcdConfigDataResource;
import dev.coordination.config.internal.EtcdConfigSource;
import dev.coordination.config.internal.EtcdConfigState;
import dev.coordination.config.internal.EtcdConfigTemplate;
import dev.coordination.config.internal.EtcdConfigWatcher;
import dev.coordination.config.internal.EtcdFeatureFlags;
import dev.coordination.config.internal.MicrometerConfigMetrics;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import io.etcd.jetcd.Client;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.bootstrap.BootstrapRegistry.InstanceSupplier;
import org.springframework.boot.bootstrap.DefaultBootstrapContext;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configuration from etcd's auto-configuration, without etcd.
 * <p>
 * An {@code ApplicationContextRunner} does not process {@code spring.config.import}: the import is
 * simulated by {@link ImportedConfiguration}, which defines the {@link EtcdConfigState} bean that
 * {@code etcd:} hands to the application context (under the same name), as an
 * {@code optional:etcd:} import leaves it when etcd did not answer: nothing read yet.
 * {@link EtcdConfigImportTests} checks with a real import that it is what the application gets.
 * <p>
 * {@link ConfigListener} beans joining the starter's own watcher cannot be observed without etcd:
 * the watcher keeps its listeners to itself and tells them only of changes it read from etcd. They
 * are observed joining a user-defined watcher instead, through the same registration.
 */
class ConfigAutoConfigurationTests {

	static final String ENDPOINT = "http://127.0.0.1:1";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, ConfigAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + ENDPOINT, "coordination.etcd.request-timeout=200ms");

	// definitions by default, back-off and switches

	@Test
	void flagsAndTemplateAreDefinedByDefaultButNoWatcherWithoutAnImport() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.hasSingleBean(FeatureFlags.class)
			.hasSingleBean(EtcdFeatureFlags.class)
			.hasSingleBean(ConfigTemplate.class)
			.hasSingleBean(EtcdConfigTemplate.class)
			.hasSingleBean(ConfigProperties.class)
			.hasBean("configListenerBeans")
			.doesNotHaveBean(EtcdConfigState.class)
			.doesNotHaveBean(EtcdConfigWatcher.class)
			.doesNotHaveBean(ConfigMetrics.class));
	}

	@Test
	void importedConfigurationIsWatchedOnceTheContextStarts() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(EtcdConfigWatcher.class)
				.hasSingleBean(FeatureFlags.class)
				.hasSingleBean(ConfigTemplate.class);
			EtcdConfigWatcher watcher = context.getBean(EtcdConfigWatcher.class);
			EtcdConfigState state = context.getBean(EtcdConfigState.class);
			assertThat(watcher.getState()).isSameAs(state);
			assertThat(watcher.isRunning()).isTrue();
			assertThat(state.isWatched()).isTrue();
			// etcd never answers: nothing read yet
			assertThat(state.contexts()).containsExactly("/config/application/");
			assertThat(state.state()).isEqualTo("waiting");
		});
	}

	@Test
	void watchDisabledByPropertyKeepsFlagsAndTemplateAndLeavesTheImportUnwatched() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.withPropertyValues("coordination.etcd.config.watch.enabled=false")
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(EtcdConfigWatcher.class)
					.hasSingleBean(FeatureFlags.class)
					.hasSingleBean(ConfigTemplate.class);
				EtcdConfigState state = context.getBean(EtcdConfigState.class);
				assertThat(state.isWatched()).isFalse();
				assertThat(state.state()).isEqualTo("waiting");
			});
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.enabled=false")
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(FeatureFlags.class)
				.doesNotHaveBean(ConfigTemplate.class)
				.doesNotHaveBean(EtcdConfigWatcher.class)
				.doesNotHaveBean(ConfigMetrics.class)
				.doesNotHaveBean(ConfigProperties.class));
	}

	@Test
	void disabledStarterDoesNotValidateTheConfigurationProperties() {
		this.contextRunner
			.withPropertyValues("coordination.enabled=false", "coordination.etcd.config.prefix=config",
					"coordination.etcd.config.format=json")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ConfigProperties.class));
	}

	@Test
	void backsOffWithoutAnEtcdTemplate() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ConfigAutoConfiguration.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(FeatureFlags.class)
				.doesNotHaveBean(ConfigTemplate.class)
				.doesNotHaveBean(ConfigProperties.class));
	}

	@Test
	void userDefinedFeatureFlagsMakeOursBackOff() {
		this.contextRunner.withBean("userFlags", FeatureFlags.class, AlwaysOnFlags::new)
			.run((context) -> {
				assertThat(context).hasSingleBean(FeatureFlags.class)
					.hasBean("userFlags")
					.doesNotHaveBean(EtcdFeatureFlags.class)
					.hasSingleBean(ConfigTemplate.class);
				assertThat(context.getBean(FeatureFlags.class).isEnabled("new-checkout")).isTrue();
			});
	}

	@Test
	void userDefinedConfigTemplateMakesOursBackOff() {
		this.contextRunner.withBean("userConfigTemplate", ConfigTemplate.class, UnsupportedConfigTemplate::new)
			.run((context) -> assertThat(context).hasSingleBean(ConfigTemplate.class)
				.hasBean("userConfigTemplate")
				.doesNotHaveBean(EtcdConfigTemplate.class)
				.hasSingleBean(FeatureFlags.class));
	}

	@Test
	void userDefinedWatcherMakesOursBackOff() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class, RecordingWatcherConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(EtcdConfigWatcher.class)
				.hasBean("recordingWatcher")
				.doesNotHaveBean("etcdConfigWatcher"));
	}

	@Test
	void configListenerBeansAreRegisteredWithTheWatcherInOrder() {
		this.contextRunner
			.withUserConfiguration(ImportedConfiguration.class, RecordingWatcherConfiguration.class,
					ConfigListenersConfiguration.class)
			.run((context) -> assertThat(context.getBean(RecordingWatcher.class).added).containsExactly(
					context.getBean("firstConfigListener", ConfigListener.class),
					context.getBean("secondConfigListener", ConfigListener.class)));
	}

	@Test
	void configListenerBeansWithTheStartersWatcherDoNotFailStartUp() {
		// that they joined the starter's watcher is not observable without etcd (see the class javadoc)
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class, ConfigListenersConfiguration.class)
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(EtcdConfigWatcher.class));
	}

	@Test
	void configListenerBeansWithoutAnImportHaveNoWatcherToJoinAndDoNotFailStartUp() {
		this.contextRunner.withUserConfiguration(ConfigListenersConfiguration.class)
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(EtcdConfigWatcher.class));
	}

	// metrics

	@Test
	void noConfigMetricsWithoutAMeterRegistry() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.run((context) -> assertThat(context).doesNotHaveBean(ConfigMetrics.class)
				.hasSingleBean(EtcdConfigWatcher.class));
	}

	@Test
	void micrometerConfigMetricsWhenAMeterRegistryExists() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> assertThat(context).hasSingleBean(MicrometerConfigMetrics.class));
	}

	@Test
	void micrometerConfigMetricsReportTheRevisionOfTheImportedConfiguration() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withUserConfiguration(ImportedConfiguration.class)
			.run((context) -> assertThat(
					context.getBean(MeterRegistry.class).get("coordination.config.revision").gauge().value())
				.isZero());
	}

	@Test
	void userDefinedConfigMetricsMakeOursBackOffAndAreGivenTheImportedConfiguration() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withBean(RecordingConfigMetrics.class, RecordingConfigMetrics::new)
			.withUserConfiguration(ImportedConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(ConfigMetrics.class).doesNotHaveBean(MicrometerConfigMetrics.class);
				assertThat(context.getBean(RecordingConfigMetrics.class).states)
					.containsExactly(context.getBean(EtcdConfigState.class));
			});
	}

	// class path

	@Test
	void withoutMicrometerNoConfigMetricsAndTheImportIsStillWatched() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
			.withUserConfiguration(ImportedConfiguration.class)
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(ConfigMetrics.class)
				.hasSingleBean(EtcdConfigWatcher.class)
				.hasSingleBean(FeatureFlags.class)
				.hasSingleBean(ConfigTemplate.class));
	}

	@Test
	void withoutSpringCloudContextFlagsTemplateAndWatcherAreDefined() {
		// only the wiring: how a change is applied without Spring Cloud is decided from the class path
		// of the starter's own classes, which a FilteredClassLoader does not hide
		this.contextRunner.withClassLoader(new FilteredClassLoader("org.springframework.cloud"))
			.withUserConfiguration(ImportedConfiguration.class)
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(EtcdConfigWatcher.class)
				.hasSingleBean(FeatureFlags.class)
				.hasSingleBean(ConfigTemplate.class));
	}

	@Test
	void withoutJetcdNothingIsDefinedAndTheContextStarts() {
		// imported as an application imports auto-configurations
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withPropertyValues("coordination.etcd.endpoints=" + ENDPOINT)
			.withClassLoader(new FilteredClassLoader("io.etcd.jetcd"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(FeatureFlags.class)
				.doesNotHaveBean(ConfigTemplate.class)
				.doesNotHaveBean(EtcdConfigWatcher.class)
				.doesNotHaveBean(ConfigProperties.class));
	}

	// properties

	@Test
	void prefixWithoutLeadingSlashFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.config.prefix=config", "coordination.etcd.config.prefix", "Must start with '/'");
	}

	@Test
	void emptyPrefixFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.config.prefix=", "coordination.etcd.config.prefix", "Must start with '/'");
	}

	@Test
	void prefixWithAControlCharacterFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.config.prefix=/con\tfig", "coordination.etcd.config.prefix",
				"control characters");
	}

	@Test
	void unknownFormatFailsNamingThePropertyAndTheFormats() {
		assertInvalid("coordination.etcd.config.format=json", "coordination.etcd.config.format",
				"Must be key-value (one key per property), yaml or properties");
	}

	@Test
	void formatIsReadIgnoringCaseAndSurroundingBlanks() {
		this.contextRunner.withPropertyValues("coordination.etcd.config.format= YAML ")
			.run((context) -> assertThat(context.getBean(ConfigProperties.class).determineFormat())
				.isEqualTo("yaml"));
	}

	@Test
	void negativeWatchDelayFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.config.watch.delay=-1ms", "coordination.etcd.config.watch.delay",
				"Must be zero or a positive duration");
	}

	@Test
	void zeroWatchDelayIsAccepted() {
		this.contextRunner.withUserConfiguration(ImportedConfiguration.class)
			.withPropertyValues("coordination.etcd.config.watch.delay=0")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(EtcdConfigWatcher.class));
	}

	@Test
	void flagsPrefixWithoutLeadingSlashFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.config.flags.prefix=flags", "coordination.etcd.config.flags.prefix",
				"Must start with '/'");
	}

	@Test
	void snapshotsPrefixWithoutLeadingSlashFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.config.snapshots.prefix=snapshots", "coordination.etcd.config.snapshots.prefix",
				"Must start with '/'");
	}

	@Test
	void snapshotsPrefixInsideTheConfigurationPrefixFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.config.snapshots.prefix=/config/snapshots",
				"coordination.etcd.config.snapshots.prefix", "Must be outside the configuration prefix /config");
	}

	@Test
	void snapshotsPrefixContainingTheConfigurationPrefixFailsNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.config.prefix=/app/config",
					"coordination.etcd.config.snapshots.prefix=/app/")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.config.snapshots.prefix")
				.hasMessageContaining("not contain it"));
	}

	@Test
	void snapshotsPrefixEqualToTheConfigurationPrefixFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.config.snapshots.prefix=/config/", "coordination.etcd.config.snapshots.prefix",
				"Must be outside the configuration prefix");
	}

	@Test
	void prefixesThatShareOnlyTheirBeginningDoNotOverlap() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.config.prefix=/config/", "coordination.etcd.config.snapshots.prefix=/configs",
					"coordination.etcd.config.flags.prefix=/config-flags")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				ConfigProperties properties = context.getBean(ConfigProperties.class);
				assertThat(properties.determinePrefix()).isEqualTo("/config");
				assertThat(properties.getSnapshots().determinePrefix()).isEqualTo("/configs");
				assertThat(properties.getFlags().determinePrefix()).isEqualTo("/config-flags");
			});
	}

	@Test
	void flagsPrefixInsideTheConfigurationPrefixFailsNamingTheProperty() {
		assertInvalid("coordination.etcd.config.flags.prefix=/config/flags", "coordination.etcd.config.flags.prefix",
				"/config");
	}

	@Test
	void flagsPrefixContainingTheConfigurationPrefixFailsNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("coordination.etcd.config.prefix=/app/config", "coordination.etcd.config.flags.prefix=/app")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.config.flags.prefix"));
	}

	@Test
	void invalidPropertiesFailWithoutAnImportToo() {
		// the flags and the template use them whether or not anything was imported
		assertInvalid("coordination.etcd.config.flags.prefix=", "coordination.etcd.config.flags.prefix",
				"Must start with '/'");
	}

	private void assertInvalid(String property, String name, String reason) {
		this.contextRunner.withPropertyValues(property)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining(name)
				.hasMessageContaining(reason));
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, ConfigAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

	/**
	 * What {@code spring.config.import=optional:etcd:} hands to the application context when etcd
	 * does not answer: the imported state, under its bean name, with the context
	 * {@code /config/application/} that the starter's loader could not read (it tries once, within
	 * 200 ms). The source's etcd client is closed with the context.
	 */
	@Configuration(proxyBeanMethods = false)
	static class ImportedConfiguration {

		@Bean(destroyMethod = "close")
		EtcdConfigSource importedConfigSource() {
			return new EtcdConfigSource(List.of(ENDPOINT), Duration.ofMillis(200),
					Client.builder().endpoints(ENDPOINT).build());
		}

		@Bean(EtcdConfigDataLocationResolver.STATE_BEAN)
		EtcdConfigState etcdConfigState(EtcdConfigSource importedConfigSource) throws IOException {
			DefaultBootstrapContext bootstrap = new DefaultBootstrapContext();
			bootstrap.register(EtcdConfigSource.class, InstanceSupplier.of(importedConfigSource));
			new EtcdConfigDataLoader(Supplier::get).load(() -> bootstrap, new EtcdConfigDataResource("application",
					"/config/", "/config/application/", 0, true, "key-value", "data"));
			return importedConfigSource.state();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class RecordingWatcherConfiguration {

		@Bean
		RecordingWatcher recordingWatcher(EtcdTemplate etcdTemplate, EtcdConfigState state,
				ConfigurableApplicationContext context, CoordinationEvents events) {
			return new RecordingWatcher(etcdTemplate, state, context, events);
		}

	}

	/**
	 * The real watcher, recording which listeners were added.
	 */
	static class RecordingWatcher extends EtcdConfigWatcher {

		final List<ConfigListener> added = new CopyOnWriteArrayList<>();

		RecordingWatcher(EtcdTemplate etcd, EtcdConfigState state, ConfigurableApplicationContext context,
				CoordinationEvents events) {
			super(etcd, state, Duration.ofMillis(20), context, ConfigMetrics.NONE, events, RetryPolicy.DEFAULT,
					WatchProgress.off(), false);
		}

		@Override
		public void addListener(ConfigListener listener) {
			this.added.add(listener);
			super.addListener(listener);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ConfigListenersConfiguration {

		@Bean
		@Order(2)
		ConfigListener secondConfigListener() {
			return (event) -> {
			};
		}

		@Bean
		@Order(1)
		ConfigListener firstConfigListener(FeatureFlags flags) {
			// depends on a bean of the auto-configuration: registered once every bean exists
			return (event) -> {
			};
		}

	}

	/**
	 * Configuration metrics of the application's own, recording the states it was given.
	 */
	static class RecordingConfigMetrics implements ConfigMetrics {

		final List<EtcdConfigState> states = new CopyOnWriteArrayList<>();

		@Override
		public void state(EtcdConfigState state) {
			this.states.add(state);
		}

	}

	static class AlwaysOnFlags implements FeatureFlags {

		@Override
		public boolean isEnabled(String name) {
			return true;
		}

		@Override
		public void enable(String name) {
		}

		@Override
		public void disable(String name) {
		}

		@Override
		public Map<String, Boolean> all() {
			return Map.of();
		}

	}

	static class UnsupportedConfigTemplate implements ConfigTemplate {

		@Override
		public <T> Optional<T> get(String context, String property, Class<T> type) {
			throw new UnsupportedOperationException();
		}

		@Override
		public Map<String, String> getAll(String context, String propertyPrefix) {
			throw new UnsupportedOperationException();
		}

		@Override
		public long put(String context, String property, String value) {
			throw new UnsupportedOperationException();
		}

		@Override
		public long putAll(String context, Map<String, String> properties) {
			throw new UnsupportedOperationException();
		}

		@Override
		public boolean delete(String context, String property) {
			throw new UnsupportedOperationException();
		}

		@Override
		public long putDocument(String context, String dataKey, String format, String document) {
			throw new UnsupportedOperationException();
		}

		@Override
		public Snapshot save(String name) {
			throw new UnsupportedOperationException();
		}

		@Override
		public long restore(String name) {
			throw new UnsupportedOperationException();
		}

		@Override
		public List<Snapshot> snapshots() {
			throw new UnsupportedOperationException();
		}

		@Override
		public boolean deleteSnapshot(String name) {
			throw new UnsupportedOperationException();
		}

	}

}
