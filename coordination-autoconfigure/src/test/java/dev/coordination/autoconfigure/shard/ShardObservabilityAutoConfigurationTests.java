package dev.coordination.autoconfigure.shard;

import java.util.List;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.shard.internal.EtcdShardedWorkloads;
import dev.coordination.shard.internal.MicrometerShardMetrics;
import dev.coordination.shard.internal.ShardMetrics;
import dev.coordination.shard.internal.ShardsHealthContributor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.SystemHealthDescriptor;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metrics and the {@code shards} health component of sharded workloads, wired without etcd:
 * nothing is owned, nothing is seen.
 */
class ShardObservabilityAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				ShardingAutoConfiguration.class, ShardHealthContributorAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms",
				"coordination.shards.orders.count=8", "coordination.shards.invoices.count=4");

	@Test
	void withAMeterRegistryEachWorkloadHasAnOwnedGauge() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run((context) -> {
			assertThat(context).hasSingleBean(MicrometerShardMetrics.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("coordination.shard.owned").tag("workload", "orders").gauge().value()).isZero();
			assertThat(registry.get("coordination.shard.owned").tag("workload", "invoices").gauge().value()).isZero();
		});
	}

	@Test
	void userDefinedShardMetricsMakeOursBackOff() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withBean("userShardMetrics", ShardMetrics.class, () -> ShardMetrics.NONE)
			.run((context) -> {
				assertThat(context).doesNotHaveBean(MicrometerShardMetrics.class).hasSingleBean(EtcdShardedWorkloads.class);
				assertThat(context.getBean(MeterRegistry.class).find("coordination.shard.owned").gauge()).isNull();
			});
	}

	@Test
	void noShardMetricsWithoutAMeterRegistry() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(ShardMetrics.class)
			.hasSingleBean(EtcdShardedWorkloads.class));
	}

	@Test
	void withoutMicrometerNoMetricsAndTheWorkloadsRemain() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(ShardMetrics.class)
				.hasSingleBean(EtcdShardedWorkloads.class));
	}

	@Test
	void healthContributorIsNamedShardsWithOneUpComponentPerWorkload() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(ShardsHealthContributor.class).hasBean("shardsHealthContributor");
			ShardsHealthContributor contributor = context.getBean(ShardsHealthContributor.class);
			assertThat(contributor.stream()).extracting(HealthContributors.Entry::name)
				.containsExactly("orders", "invoices");
			assertThat(contributor.getContributor("payments")).isNull();
			Health health = ((HealthIndicator) contributor.getContributor("invoices")).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("count", 4)
				.containsEntry("owned", List.of())
				.containsEntry("unowned", List.of(0, 1, 2, 3))
				.doesNotContainKey("standingAside");
		});
	}

	@Test
	void withoutWorkloadsTheHealthEndpointShowsNoShardsComponentAndWithOneItDoes() {
		ApplicationContextRunner withHealthEndpoint = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
					ShardingAutoConfiguration.class, ShardHealthContributorAutoConfiguration.class,
					HealthContributorRegistryAutoConfiguration.class, HealthEndpointAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1",
					"coordination.etcd.request-timeout=200ms", "management.endpoint.health.show-components=always")
			.withBean("dbHealthIndicator", HealthIndicator.class, () -> () -> Health.up().build());
		withHealthEndpoint.run((context) -> {
			assertThat(context).hasSingleBean(ShardsHealthContributor.class);
			SystemHealthDescriptor health = (SystemHealthDescriptor) context.getBean(HealthEndpoint.class).health();
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getComponents()).containsOnlyKeys("db");
		});
		withHealthEndpoint.withPropertyValues("coordination.shards.orders.count=8").run((context) -> {
			SystemHealthDescriptor health = (SystemHealthDescriptor) context.getBean(HealthEndpoint.class).health();
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getComponents()).containsOnlyKeys("db", "shards");
		});
	}

	@Test
	void healthDisabledByManagementProperty() {
		this.contextRunner.withPropertyValues("management.health.shards.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ShardsHealthContributor.class)
				.hasSingleBean(EtcdShardedWorkloads.class));
	}

	@Test
	void healthBacksOffWhenShardingIsDisabled() {
		this.contextRunner.withPropertyValues("coordination.etcd.sharding.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ShardsHealthContributor.class));
	}

	@Test
	void userDefinedBeanNamedShardsHealthContributorMakesOursBackOff() {
		this.contextRunner.withBean("shardsHealthContributor", HealthIndicator.class, () -> () -> Health.up().build())
			.run((context) -> assertThat(context).doesNotHaveBean(ShardsHealthContributor.class)
				.hasBean("shardsHealthContributor"));
	}

	@Test
	void healthBacksOffWithoutHealthAndActuatorAndTheWorkloadsRemain() {
		new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
			.withPropertyValues("coordination.etcd.endpoints=http://127.0.0.1:1", "coordination.etcd.request-timeout=200ms",
					"coordination.shards.orders.count=8")
			.withClassLoader(
					new FilteredClassLoader("org.springframework.boot.health", "org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(ShardsHealthContributor.class)
				.hasSingleBean(EtcdShardedWorkloads.class));
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			ShardingAutoConfiguration.class, ShardHealthContributorAutoConfiguration.class })
	static class ImportedAutoConfigurations {

	}

}
