package dev.coordination.autoconfigure.actuate;

import dev.coordination.actuate.internal.CoordinationInfoContributor;
import dev.coordination.autoconfigure.election.ElectionAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code coordination} info contributor's auto-configuration, without etcd.
 */
class CoordinationInfoContributorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ElectionAutoConfiguration.class, CoordinationInfoContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms");

	@Test
	void isOnByDefaultWithElections() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(CoordinationInfoContributor.class));
	}

	@Test
	void isOffWithItsProperty() {
		this.contextRunner.withPropertyValues("management.info.coordination.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(CoordinationInfoContributor.class));
	}

	@Test
	void isOffWithTheInfoDefaults() {
		this.contextRunner.withPropertyValues("management.info.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(CoordinationInfoContributor.class));
	}

	@Test
	void isOffWithoutElections() {
		this.contextRunner.withPropertyValues("coordination.etcd.election.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(CoordinationInfoContributor.class));
	}

	@Test
	void isOffWithoutActuator() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(InfoContributor.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(CoordinationInfoContributor.class));
	}

}
