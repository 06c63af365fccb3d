package dev.coordination.it.shard;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.autoconfigure.shard.ShardingAutoConfiguration;
import dev.coordination.shard.ShardedWorkloads;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad {@code coordination.shards.*} settings fail start-up with a message that names the property.
 */
class ShardingPropertiesIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.defaults());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ShardingAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=2s",
				"coordination.etcd.session.safety-margin=500ms", "coordination.etcd.instance.id=bad-input");

	@Test
	void zeroCountFails() {
		assertInvalid("coordination.shards.x.count", "0", "coordination.shards.x.count=0");
	}

	@Test
	void negativeCountFails() {
		assertInvalid("coordination.shards.x.count", "-1", "coordination.shards.x.count=-1");
	}

	@Test
	void countAboveTheLargestFails() {
		assertInvalid("coordination.shards.x.count", "65536", "coordination.shards.x.count=70000");
	}

	@Test
	void missingCountFails() {
		assertInvalid("coordination.shards.x.count", "Set the number of shards of workload 'x'",
				"coordination.shards.x.weight=2");
	}

	@Test
	void negativeWeightFails() {
		assertInvalid("coordination.shards.x.weight", "0 (take part without owning shards) or more",
				"coordination.shards.x.count=8", "coordination.shards.x.weight=-1");
	}

	@Test
	void negativeSettleDelayFails() {
		assertInvalid("coordination.shards.x.settle-delay", "zero or positive", "coordination.shards.x.count=8",
				"coordination.shards.x.settle-delay=-1s");
	}

	@Test
	void validSettingsStart() {
		this.contextRunner
			.withPropertyValues("coordination.shards.x.count=65536", "coordination.shards.x.weight=0",
					"coordination.shards.x.settle-delay=0s")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(ShardedWorkloads.class));
	}

	private void assertInvalid(String property, String message, String... properties) {
		this.contextRunner.withPropertyValues(properties)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining(property)
				.hasMessageContaining(message));
	}

}
