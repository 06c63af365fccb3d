package dev.coordination.test.junit;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link EtcdExtension} registered on a static field: one cluster for the class.
 */
class EtcdExtensionTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private static EtcdCluster clusterBeforeAll;

	@BeforeAll
	static void clusterIsRunningBeforeAll(EtcdCluster cluster) {
		clusterBeforeAll = cluster;
		assertThat(cluster.member(0).isRunning()).isTrue();
	}

	@Test
	void everyTestSeesTheClusterOfTheClass(EtcdCluster cluster) {
		assertThat(cluster).isSameAs(clusterBeforeAll).isSameAs(etcd.cluster());
		assertThat(etcd.endpoints()).isEqualTo(cluster.endpoints());
		assertThat(etcd.endpointsAsString()).isEqualTo(cluster.endpointsAsString());
	}

	@Test
	void clientIsBuiltOnceAndTalksToTheCluster() throws Exception {
		assertThat(etcd.client()).isSameAs(etcd.client());
		KV kv = etcd.client().getKVClient();
		ByteSequence key = ByteSequence.from("extension", StandardCharsets.UTF_8);
		kv.put(key, ByteSequence.from("yes", StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
		assertThat(kv.get(key).get(5, TimeUnit.SECONDS).getKvs()).singleElement()
			.satisfies((kv1) -> assertThat(kv1.getValue().toString(StandardCharsets.UTF_8)).isEqualTo("yes"));
	}

}
