package dev.coordination.test.junit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.TestProcesses;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * Tests that {@link EtcdExtension} starts a cluster per class or per test and closes it even when a test
 * fails; the test classes it runs are nested and run only through the {@link EngineTestKit}.
 */
class EtcdExtensionLifecycleTests {

	static final List<EtcdCluster> seen = new CopyOnWriteArrayList<>();

	static final List<Long> pids = new CopyOnWriteArrayList<>();

	@BeforeEach
	void clear() {
		seen.clear();
		pids.clear();
	}

	@Test
	void staticFieldSharesOneClusterAndClosesItAfterAFailure() {
		Events tests = run(StaticFieldTestCase.class);
		tests.assertStatistics((stats) -> stats.started(2).succeeded(1).failed(1));
		assertThat(seen).hasSize(2);
		assertThat(seen.get(0)).isSameAs(seen.get(1));
		assertClosed();
	}

	@Test
	void instanceFieldStartsAClusterPerTestAndClosesItAfterAFailure() {
		Events tests = run(InstanceFieldTestCase.class);
		tests.assertStatistics((stats) -> stats.started(2).succeeded(1).failed(1));
		assertThat(seen).hasSize(2);
		assertThat(seen.get(0)).isNotSameAs(seen.get(1));
		assertThat(pids.get(0)).isNotEqualTo(pids.get(1));
		assertClosed();
	}

	private static Events run(Class<?> testClass) {
		return EngineTestKit.engine("junit-jupiter").selectors(selectClass(testClass)).execute().testEvents();
	}

	private static void assertClosed() {
		assertThat(pids).allSatisfy((pid) -> assertThat(TestProcesses.isAlive(pid)).as("pid %d", pid).isFalse());
		assertThat(seen).allSatisfy((cluster) -> {
			assertThat(cluster.member(0).isRunning()).isFalse();
			assertThat(cluster.member(0).logTail(10)).as("log of a deleted temporary root").isEmpty();
		});
	}

	static void record(EtcdCluster cluster) {
		seen.add(cluster);
		pids.add(cluster.member(0).pid());
	}

	static class StaticFieldTestCase {

		@RegisterExtension
		static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

		@Test
		void passes(EtcdCluster cluster) {
			record(cluster);
			assertThat(etcd.client()).isNotNull();
		}

		@Test
		void fails(EtcdCluster cluster) {
			record(cluster);
			fail("failing on purpose");
		}

	}

	static class InstanceFieldTestCase {

		@RegisterExtension
		final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

		@Test
		void passes(EtcdCluster cluster) {
			record(cluster);
			assertThat(this.etcd.client()).isNotNull();
		}

		@Test
		void fails(EtcdCluster cluster) {
			record(cluster);
			fail("failing on purpose");
		}

	}

}
