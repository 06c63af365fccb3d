package dev.coordination.test;

import java.nio.file.Path;
import java.util.List;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import org.junit.jupiter.api.Test;
import org.testcontainers.core.CreateContainerCmdModifier;
import org.testcontainers.shaded.com.github.dockerjava.core.command.CreateContainerCmdImpl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for the configuration of {@link EtcdContainer}; they need no Docker engine.
 */
class EtcdContainerTests {

	@Test
	void standaloneContainerAdvertisesItsLastNetworkAliasAndKeepsPeersOnLoopback() {
		EtcdContainer container = new EtcdContainer("quay.io/coreos/etcd:v3.5.17").withNetworkAliases("etcd");
		assertThat(container.getExposedPorts()).containsExactly(2379, 2381);
		assertThat(container.isTls()).isFalse();
		assertThat(String.join(" ", container.command()))
			.isEqualTo("etcd --name m0 --data-dir /var/lib/coordination-etcd/data"
				+ " --listen-client-urls http://0.0.0.0:2379 --listen-metrics-urls http://0.0.0.0:2381"
				+ " --advertise-client-urls http://etcd:2379 --listen-peer-urls http://127.0.0.1:2380"
				+ " --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster m0=http://127.0.0.1:2380"
				+ " --initial-cluster-token coordination-etcd --initial-cluster-state new");
	}

	@Test
	void clusterMemberAdvertisesItsNetworkAlias() {
		EtcdContainer container = new EtcdContainer("quay.io/coreos/etcd:v3.5.17")
			.withClusterMember("m1", List.of("m0", "m1", "m2"), "token")
			.withEtcdArgs("--auto-compaction-retention=1");
		assertThat(container.getNetworkAliases()).contains("m1");
		assertThat(container.getMemberName()).isEqualTo("m1");
		assertThat(String.join(" ", container.command()))
			.isEqualTo("etcd --name m1 --data-dir /var/lib/coordination-etcd/data"
				+ " --listen-client-urls http://0.0.0.0:2379 --listen-metrics-urls http://0.0.0.0:2381"
				+ " --advertise-client-urls http://m1:2379 --listen-peer-urls http://0.0.0.0:2380"
				+ " --initial-advertise-peer-urls http://m1:2380"
				+ " --initial-cluster m0=http://m0:2380,m1=http://m1:2380,m2=http://m2:2380"
				+ " --initial-cluster-token token --initial-cluster-state new --auto-compaction-retention=1");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new EtcdContainer("quay.io/coreos/etcd:v3.5.17")
				.withClusterMember("m3", List.of("m0"), "t"));
	}

	@Test
	void tlsMaterialIsCopiedAndPassed() {
		Path file = Path.of("pom.xml").toAbsolutePath();
		EtcdContainer container = new EtcdContainer("quay.io/coreos/etcd:v3.5.17")
			.withTls(new EtcdSpec.Tls(file, file, file, true));
		assertThat(container.isTls()).isTrue();
		assertThat(container.getCopyToFileContainerPathMap()).hasSize(3);
		assertThat(container.command()).containsSubsequence("--listen-client-urls", "https://0.0.0.0:2379")
			.containsSubsequence("--cert-file", "/etc/coordination-etcd/tls/server.crt", "--key-file",
					"/etc/coordination-etcd/tls/server.key", "--trusted-ca-file", "/etc/coordination-etcd/tls/ca.crt",
					"--client-cert-auth");
	}

	@Test
	void fixedHostPortsAreBoundWhenTheContainerIsCreated() {
		EtcdContainer container = new EtcdContainer("quay.io/coreos/etcd:v3.5.17").withFixedHostPorts(32001, 32002);
		CreateContainerCmd cmd = new CreateContainerCmdImpl((command) -> null, null,
				"quay.io/coreos/etcd:v3.5.17");
		for (CreateContainerCmdModifier modifier : container.getCreateContainerCmdModifiers()) {
			cmd = modifier.modify(cmd);
		}
		Ports ports = cmd.getHostConfig().getPortBindings();
		assertThat(ports.getBindings().get(ExposedPort.tcp(2379))).containsExactly(Ports.Binding.bindPort(32001));
		assertThat(ports.getBindings().get(ExposedPort.tcp(2381))).containsExactly(Ports.Binding.bindPort(32002));
	}

}
