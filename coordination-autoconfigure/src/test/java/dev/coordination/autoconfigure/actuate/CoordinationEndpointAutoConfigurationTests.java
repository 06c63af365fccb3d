package dev.coordination.autoconfigure.actuate;

import dev.coordination.actuate.internal.CoordinationEndpoint;
import dev.coordination.actuate.internal.CoordinationEndpoint.CoordinationDescriptor;
import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfiguration;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.election.LeaderElections;
import dev.coordination.session.internal.EtcdSession;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code coordination} actuator endpoint's auto-configuration, without etcd.
 */
class CoordinationEndpointAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ElectionAutoConfiguration.class, CoordinationEndpointAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void endpointIsNotAvailableUntilExposed() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.doesNotHaveBean(CoordinationEndpoint.class));
	}

	@Test
	void exposedOverTheWebTheEndpointIsDefined() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=coordination")
			.run((context) -> assertThat(context).hasSingleBean(CoordinationEndpoint.class));
	}

	@Test
	void exposedOverJmxTheEndpointIsDefined() {
		this.contextRunner
			.withPropertyValues("spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=coordination")
			.run((context) -> assertThat(context).hasSingleBean(CoordinationEndpoint.class));
	}

	@Test
	void exposedButWithoutAccessTheEndpointIsNotDefined() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=coordination",
					// upper case: the runner's environment has no lenient enum conversion, unlike SpringApplication's
					"management.endpoint.coordination.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(CoordinationEndpoint.class));
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner
			.withPropertyValues("coordination.enabled=false", "management.endpoints.web.exposure.include=coordination")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(CoordinationEndpoint.class));
	}

	@Test
	void userDefinedEndpointMakesOursBackOff() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=coordination")
			.withBean("userCoordinationEndpoint", CoordinationEndpoint.class,
					() -> new CoordinationEndpoint(null, null, null, null, null, null, null))
			.run((context) -> assertThat(context).hasSingleBean(CoordinationEndpoint.class)
				.hasBean("userCoordinationEndpoint"));
	}

	@Test
	void withoutActuatorNoEndpointAndTheSessionAndElectionsRemain() {
		// imported as an application imports auto-configurations: without actuator, the import
		// filter drops the auto-configuration before its endpoint condition is looked at
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms",
					"management.endpoints.web.exposure.include=coordination")
			.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(CoordinationEndpoint.class)
				.hasSingleBean(EtcdSession.class)
				.hasSingleBean(LeaderElections.class));
	}

	@Test
	void endpointShowsTheSessionAndEveryJoinedElectionFromLocalState() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=coordination")
			.run((context) -> {
				context.getBean(LeaderElections.class).election("reports");
				CoordinationDescriptor descriptor = context.getBean(CoordinationEndpoint.class).coordination();
				assertThat(descriptor.session().valid()).isFalse();
				assertThat(descriptor.session().leaseId()).isNull();
				assertThat(descriptor.session().ttl()).isEqualTo("PT10S");
				assertThat(descriptor.session().safetyMargin()).isEqualTo("PT2S");
				assertThat(descriptor.elections()).singleElement().satisfies((election) -> {
					assertThat(election.name()).isEqualTo("reports");
					assertThat(election.leading()).isFalse();
					assertThat(election.leader()).isNull();
				});
				assertThat(descriptor.locks()).isNull();
				assertThat(descriptor.discovery()).isNull();
				assertThat(descriptor.config()).isNull();
			});
	}

	@Test
	void endpointShowsDiscoveryAndTheRegistrationWaitingForEtcd() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(DiscoveryAutoConfiguration.class))
			.withPropertyValues("management.endpoints.web.exposure.include=coordination")
			.run((context) -> {
				CoordinationDescriptor descriptor = context.getBean(CoordinationEndpoint.class).coordination();
				assertThat(descriptor.discovery()).isNotNull();
				assertThat(descriptor.discovery().catalogRevision()).isZero();
				assertThat(descriptor.discovery().services()).isEmpty();
				assertThat(descriptor.discovery().registration()).isNotNull();
				assertThat(descriptor.discovery().registration().registered()).isFalse();
			});
	}

	@Test
	void capabilityThatIsOffIsLeftOut() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=coordination",
					"coordination.etcd.election.enabled=false")
			.run((context) -> {
				CoordinationDescriptor descriptor = context.getBean(CoordinationEndpoint.class).coordination();
				assertThat(descriptor.session()).isNotNull();
				assertThat(descriptor.elections()).isNull();
			});
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			ElectionAutoConfiguration.class, CoordinationEndpointAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

}
