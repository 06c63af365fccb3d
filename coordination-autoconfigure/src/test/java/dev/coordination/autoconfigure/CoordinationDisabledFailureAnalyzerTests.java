package dev.coordination.autoconfigure;

import dev.coordination.election.LeaderOnly;
import dev.coordination.shard.ShardedWorkloads;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.ResolvableType;
import org.springframework.integration.support.locks.LockRegistry;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CoordinationDisabledFailureAnalyzer} and {@link DisabledMethodsReport} beyond the
 * starter's own types (the starter's types are covered against etcd in the integration tests).
 */
class CoordinationDisabledFailureAnalyzerTests {

	@Test
	void aMissingSpringIntegrationLockRegistryIsExplainedWhileLocksAreOff() {
		MockEnvironment environment = new MockEnvironment().withProperty("coordination.etcd.lock.enabled", "false");
		FailureAnalysis analysis = new CoordinationDisabledFailureAnalyzer(environment)
			.analyze(new NoSuchBeanDefinitionException(ResolvableType.forClass(LockRegistry.class)));
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).contains(LockRegistry.class.getName())
			.contains("coordination.etcd.lock.enabled=false");
	}

	@Test
	void aMissingShardedWorkloadsIsExplainedWhileShardingIsOff() {
		MockEnvironment environment = new MockEnvironment().withProperty("coordination.etcd.sharding.enabled", "false");
		FailureAnalysis analysis = new CoordinationDisabledFailureAnalyzer(environment)
			.analyze(new NoSuchBeanDefinitionException(ResolvableType.forClass(ShardedWorkloads.class)));
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).contains(ShardedWorkloads.class.getName())
			.contains("coordination.etcd.sharding.enabled=false turns sharding coordination off")
			.contains("@ShardedBy methods as on an instance that owns no shard");
	}

	@Test
	void aMissingLockRegistryIsNotOursToExplainWhileLocksAreOn() {
		FailureAnalysis analysis = new CoordinationDisabledFailureAnalyzer(new MockEnvironment())
			.analyze(new NoSuchBeanDefinitionException(ResolvableType.forClass(LockRegistry.class)));
		assertThat(analysis).isNull();
	}

	@Test
	void theReportOfAClassLevelLeaderOnlyLeavesOutStaticMethods() {
		DisabledMethodsReport report = new DisabledMethodsReport(LeaderOnly.class, true, "coordination.enabled=false",
				"never run");
		report.postProcessBeforeInitialization(new Reports(), "reports");
		assertThat(report.methods()).containsExactly(Reports.class.getName() + ".rebuild()");
	}

	@LeaderOnly
	static class Reports {

		public void rebuild() {
		}

		public static String describe() {
			return "reports";
		}

	}

}
