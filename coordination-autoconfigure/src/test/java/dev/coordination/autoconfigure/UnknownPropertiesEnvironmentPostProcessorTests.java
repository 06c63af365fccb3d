package dev.coordination.autoconfigure;

import java.time.Duration;
import java.util.Map;

import dev.coordination.autoconfigure.UnknownPropertiesEnvironmentPostProcessor.KnownProperties;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link UnknownPropertiesEnvironmentPostProcessor}: no warning for what Boot binds.
 */
class UnknownPropertiesEnvironmentPostProcessorTests {

	private final KnownProperties known = KnownProperties.load(getClass().getClassLoader());

	@Test
	void environmentVariablesInBootsLegacyFormAreBoundSoTheyAreNoTypo() {
		StandardEnvironment environment = environment(Map.of("COORDINATION_ETCD_REQUEST_TIMEOUT", "7s",
				"COORDINATION_ETCD_SESSION_SAFETY_MARGIN", "2s", "COORDINATION_ETCD_INSTANCE_PREFER_IP_ADDRESS", "true"));
		// Boot binds the underscore form of a dashed name
		assertThat(Binder.get(environment).bind("coordination.etcd.request-timeout", Bindable.of(Duration.class)).get())
			.isEqualTo(Duration.ofSeconds(7));
		assertThat(Binder.get(environment).bind("coordination.etcd.session.safety-margin", Bindable.of(Duration.class))
			.get()).isEqualTo(Duration.ofSeconds(2));
		assertThat(UnknownPropertiesEnvironmentPostProcessor
			.unknownProperties(ConfigurationPropertySources.get(environment), this.known)).isEmpty();
	}

	@Test
	void misspeltEnvironmentVariableIsStillReported() {
		StandardEnvironment environment = environment(Map.of("COORDINATION_ETCD_REQUEST_TIMOUT", "7s"));
		assertThat(UnknownPropertiesEnvironmentPostProcessor
			.unknownProperties(ConfigurationPropertySources.get(environment), this.known))
			.containsOnlyKeys("coordination.etcd.request.timout");
	}

	@Test
	void theDottedFormIsNoPropertyOutsideEnvironmentVariables() {
		// Boot does not bind coordination.etcd.request.timeout to request-timeout from a file
		assertThat(this.known.isKnown("coordination.etcd.request.timeout")).isFalse();
		assertThat(this.known.isKnown("coordination.etcd.request-timeout")).isTrue();
	}

	@Test
	void settingsOfEachShardedWorkloadAndElectionAreChecked() {
		assertThat(this.known.isKnown("coordination.shards.orders.count")).isTrue();
		assertThat(this.known.isKnown("coordination.shards.orders.settle-delay")).isTrue();
		assertThat(this.known.isKnown("coordination.shards.orders")).isTrue();
		assertThat(this.known.isKnown("coordination.etcd.election.elections.main.candidate")).isTrue();
		assertThat(this.known.isKnown("coordination.etcd.election.elections.main.retry-period")).isTrue();
		assertThat(this.known.isKnown("coordination.etcd.election.retry-period")).isTrue();
		assertThat(this.known.isKnown("coordination.etcd.election.status-log-interval")).isTrue();
		assertThat(this.known.isKnown("coordination.shards.orders.setle-delay")).isFalse();
		assertThat(this.known.isKnown("coordination.etcd.election.elections.main.candidat")).isFalse();
		assertThat(this.known.closest("coordination.shards.orders.setle-delay"))
			.isEqualTo("coordination.shards.orders.settle-delay");
		assertThat(this.known.closest("coordination.shards.orders.wieght")).isEqualTo("coordination.shards.orders.weight");
	}

	@Test
	void settingsOfAShardedWorkloadFromEnvironmentVariablesAreNoTypo() {
		StandardEnvironment environment = environment(Map.of("COORDINATION_SHARDS_MY_ORDERS_SETTLE_DELAY", "2s",
				"COORDINATION_SHARDS_ORDERS_COUNT", "8", "COORDINATION_SHARDS_ORDERS_SETLE_DELAY", "2s"));
		assertThat(UnknownPropertiesEnvironmentPostProcessor
			.unknownProperties(ConfigurationPropertySources.get(environment), this.known))
			.containsOnlyKeys("coordination.shards.orders.setle.delay");
	}

	private static StandardEnvironment environment(Map<String, Object> variables) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new SystemEnvironmentPropertySource(
					StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
		return environment;
	}

}
