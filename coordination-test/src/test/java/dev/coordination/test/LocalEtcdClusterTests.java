package dev.coordination.test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.coordination.test.tls.TestCertificates.Issued;
import dev.coordination.test.tls.TestCertificates;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link LocalEtcdCluster}: real etcd processes, their faults and their cleanup.
 */
class LocalEtcdClusterTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(20);

	@Test
	void singleMemberServesClientsAndLeavesNothingBehindWhenClosed() throws Exception {
		EtcdCluster cluster = Etcd.start(EtcdSpec.builder().requireLaunched().build());
		Path root = ((LocalEtcdCluster) cluster).root();
		long pid = cluster.member(0).pid();
		try {
			assertThat(cluster.size()).isOne();
			assertThat(cluster.description()).matches("local etcd 3\\.\\d+\\.\\d+ \\(.*etcd\\), 1 member");
			assertThat(cluster.endpoints()).singleElement()
				.satisfies((uri) -> assertThat(uri.toString()).matches("http://127\\.0\\.0\\.1:\\d+"));
			assertThat(cluster.endpointsAsString()).isEqualTo(cluster.endpoints().get(0).toString());
			assertThat(cluster.member(0).name()).isEqualTo("m0");
			assertThat(cluster.member(0).isRunning()).isTrue();
			assertThat(TestProcesses.isAlive(pid)).isTrue();
			assertThat(root).isDirectory();
			assertThat(root.getFileName().toString()).startsWith("coordination-etcd-");
			assertThat(TestProcesses.processesMentioning(root.toString())).hasSize(2);
			try (Client client = cluster.newClient()) {
				put(client.getKVClient(), "greeting", "hello");
				assertThat(get(client.getKVClient(), "greeting", false)).isEqualTo("hello");
			}
			assertThat(cluster.member(0).logTail(5)).isNotBlank();
		}
		finally {
			cluster.close();
		}
		assertThat(TestProcesses.isAlive(pid)).isFalse();
		assertThat(cluster.member(0).isRunning()).isFalse();
		assertThat(root).doesNotExist();
		assertThat(TestProcesses.processesMentioning(root.toString())).isEmpty();
		cluster.close();
	}

	@Test
	void aClusterItsOwnerClosesIsLeftAloneByTheShutdownHookButNotByTheWatchdog() throws Exception {
		EtcdCluster owned = Etcd.start(EtcdSpec.builder().requireLaunched().closedByOwner().build());
		try {
			assertThat(OpenClusters.isOpen(owned)).isFalse();
			assertThat(TestProcesses.processesMentioning(((LocalEtcdCluster) owned).root().toString()))
				.as("etcd and its watchdog").hasSize(2);
		}
		finally {
			owned.close();
		}
		EtcdCluster unowned = Etcd.start(EtcdSpec.builder().requireLaunched().build());
		try {
			assertThat(OpenClusters.isOpen(unowned)).isTrue();
		}
		finally {
			unowned.close();
		}
		assertThat(OpenClusters.isOpen(unowned)).isFalse();
	}

	@Test
	void dataLivesWhereEtcdDataRootSaysElseInSharedMemoryWhenItHasRoom(@TempDir Path configured) throws Exception {
		assertThat(LocalEtcdCluster.dataRoot(configured.toString())).isEqualTo(configured);
		Path shm = Path.of("/dev/shm");
		boolean shmHasRoom = Files.isDirectory(shm) && Files.isWritable(shm)
				&& Files.getFileStore(shm).getUsableSpace() >= (1L << 30);
		assertThat(LocalEtcdCluster.dataRoot(null))
			.isEqualTo(shmHasRoom ? shm : Path.of(System.getProperty("java.io.tmpdir")));
		assertThat(LocalEtcdCluster.dataRoot(" ")).isEqualTo(LocalEtcdCluster.dataRoot(null));
	}

	@Test
	void threeMemberClusterSurvivesKillPauseAndRestartOfAMember() throws Exception {
		EtcdCluster cluster = Etcd.start(EtcdSpec.builder().members(3).build());
		Path root = ((LocalEtcdCluster) cluster).root();
		List<Long> pids = new ArrayList<>();
		try {
			assertThat(cluster.description()).endsWith(", 3 members");
			assertThat(cluster.members()).extracting(EtcdMember::name).containsExactly("m0", "m1", "m2");
			assertThat(cluster.endpoints()).doesNotHaveDuplicates().hasSize(3);
			cluster.awaitHealthy(TIMEOUT);
			cluster.members().forEach((member) -> pids.add(member.pid()));

			EtcdMember killed = cluster.member(2);
			URI killedEndpoint = killed.clientEndpoint();
			long killedPid = killed.pid();
			killed.kill();
			assertThat(killed.isRunning()).isFalse();
			assertThat(TestProcesses.isAlive(killedPid)).isFalse();
			cluster.awaitHealthy(TIMEOUT);
			try (Client survivors = Client.builder()
				.endpoints(cluster.member(0).clientEndpoint(), cluster.member(1).clientEndpoint())
				.build()) {
				await().atMost(TIMEOUT)
					.ignoreExceptions()
					.untilAsserted(() -> put(survivors.getKVClient(), "written-while-down", "yes"));
			}

			killed.start();
			assertThat(killed.isRunning()).isTrue();
			assertThat(killed.clientEndpoint()).isEqualTo(killedEndpoint);
			assertThat(killed.pid()).isNotEqualTo(killedPid);
			pids.add(killed.pid());
			try (Client onlyRestarted = Client.builder().endpoints(killedEndpoint).build()) {
				await().atMost(TIMEOUT)
					.ignoreExceptions()
					.untilAsserted(() -> assertThat(get(onlyRestarted.getKVClient(), "written-while-down", true))
						.isEqualTo("yes"));
			}
			cluster.awaitHealthy(TIMEOUT);

			EtcdMember paused = cluster.member(1);
			paused.pause();
			assertThat(paused.isPaused()).isTrue();
			assertThat(paused.isRunning()).isTrue();
			await().atMost(TIMEOUT).until(() -> TestProcesses.state(paused.pid()) == 'T');
			try (Client others = Client.builder()
				.endpoints(cluster.member(0).clientEndpoint(), cluster.member(2).clientEndpoint())
				.build()) {
				await().atMost(TIMEOUT)
					.ignoreExceptions()
					.untilAsserted(() -> put(others.getKVClient(), "written-while-paused", "yes"));
			}
			paused.resume();
			assertThat(paused.isPaused()).isFalse();
			cluster.awaitHealthy(TIMEOUT);
			assertThat(TestProcesses.state(paused.pid())).isNotEqualTo('T');

			EtcdMember restarted = cluster.member(0);
			long before = restarted.pid();
			restarted.restart();
			assertThat(restarted.pid()).isNotEqualTo(before);
			assertThat(TestProcesses.isAlive(before)).isFalse();
			pids.add(restarted.pid());
			cluster.awaitHealthy(TIMEOUT);
			try (Client client = cluster.newClient()) {
				assertThat(get(client.getKVClient(), "written-while-paused", false)).isEqualTo("yes");
			}
		}
		finally {
			cluster.close();
		}
		assertThat(pids).allSatisfy((pid) -> assertThat(TestProcesses.isAlive(pid)).as("pid %d", pid).isFalse());
		assertThat(root).doesNotExist();
		assertThat(TestProcesses.processesMentioning(root.toString())).isEmpty();
	}

	@Test
	void pausedMemberIsStoppedCleanly() {
		try (EtcdCluster cluster = Etcd.start(EtcdSpec.builder().requireLaunched().build())) {
			EtcdMember member = cluster.member(0);
			member.pause();
			member.stop();
			assertThat(member.isRunning()).isFalse();
			assertThat(member.isPaused()).isFalse();
			// etcd 3.4 logs "received terminated signal, shutting down...", 3.5 "received signal; shutting
			// down" with "signal":"terminated"
			assertThat(member.logTail(100)).contains("terminated").contains("shutting down");
			member.start();
			cluster.awaitHealthy(TIMEOUT);
		}
	}

	@Test
	void awaitHealthyFailsWithTheLogTailsWhenTheQuorumIsGone() {
		try (EtcdCluster cluster = Etcd.start(EtcdSpec.builder().members(3).build())) {
			cluster.member(1).kill();
			cluster.member(2).kill();
			assertThatIllegalStateException().isThrownBy(() -> cluster.awaitHealthy(Duration.ofSeconds(1)))
				.withMessageContaining("did not become healthy")
				.withMessageContaining("--- m0 (")
				.withMessageContaining("--- m2 (");
		}
	}

	@Test
	void memberThatCannotStartFailsWithItsLogAndLeavesNothingBehind() {
		assertThatIllegalStateException()
			.isThrownBy(() -> Etcd.start(EtcdSpec.builder().requireLaunched().args("--no-such-flag").build()))
			.withMessageContaining("exited with code")
			.withMessageContaining("no-such-flag")
			.satisfies((ex) -> {
				Matcher matcher = Pattern.compile("--data-dir (\\S+)/m0\\.etcd").matcher(ex.getMessage());
				assertThat(matcher.find()).isTrue();
				assertThat(Path.of(matcher.group(1))).doesNotExist();
			});
	}

	@Test
	void startIsRetriedWithNewPortsWhenAPortIsTaken() throws Exception {
		Etcd.Source source = Etcd.resolve(EtcdSpec.builder().requireLaunched().build(), System.getenv(),
				System.getProperty(Etcd.BINARY_PROPERTY),
				System.getenv("PATH"), () -> false);
		assertThat(source.kind()).isEqualTo(Etcd.Kind.LOCAL);
		Path binary = Path.of(source.location());
		try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
			AtomicInteger attempts = new AtomicInteger();
			IntFunction<int[]> allocator = (count) -> {
				int[] ports = EtcdSupport.freePorts(count);
				if (attempts.getAndIncrement() == 0) {
					ports[0] = taken.getLocalPort();
				}
				return ports;
			};
			try (LocalEtcdCluster cluster = LocalEtcdCluster.start(binary, EtcdSpec.defaults(), allocator)) {
				assertThat(attempts).hasValue(2);
				assertThat(cluster.member(0).clientEndpoint().getPort()).isNotEqualTo(taken.getLocalPort());
				cluster.awaitHealthy(TIMEOUT);
			}
		}
	}

	@Test
	void tlsClusterServesHttpsAndRefusesAPlainClient(@TempDir Path temp) throws Exception {
		TestCertificates authority = TestCertificates.authority(temp, "ca");
		Issued server = authority.server("server");
		Issued clientCertificate = authority.client("client");
		EtcdSpec spec = EtcdSpec.builder()
			.tls(server.certificate(), server.privateKey(), authority.caCertificate(), true)
			.build();
		try (EtcdCluster cluster = Etcd.start(spec)) {
			assertThat(cluster.endpoints()).singleElement()
				.satisfies((uri) -> assertThat(uri.getScheme()).isEqualTo("https"));
			cluster.awaitHealthy(TIMEOUT);
			assertThatIllegalStateException().isThrownBy(cluster::newClient).withMessageContaining("TLS");
			try (Client client = Client.builder()
				.endpoints(cluster.endpoints())
				.sslContext((ssl) -> ssl.trustManager(authority.caCertificate().toFile())
					.keyManager(clientCertificate.certificate().toFile(), clientCertificate.privateKey().toFile()))
				.build()) {
				put(client.getKVClient(), "secure", "yes");
				assertThat(get(client.getKVClient(), "secure", false)).isEqualTo("yes");
			}
		}
	}

	@Test
	void externalClusterIsUsedAsIsAndRefusesFaults() throws Exception {
		try (EtcdCluster launched = Etcd.start(EtcdSpec.builder().requireLaunched().build())) {
			String endpoints = launched.endpointsAsString();
			EtcdCluster external = ExternalEtcdCluster.of(endpoints.replace("http://", ""));
			assertThat(external.description()).isEqualTo("external ETCD_ENDPOINTS=" + endpoints.replace("http://", ""));
			assertThat(external.endpoints()).isEqualTo(launched.endpoints());
			external.awaitHealthy(TIMEOUT);
			EtcdMember member = external.member(0);
			assertThat(member.pid()).isEqualTo(-1);
			assertThat(member.isRunning()).isTrue();
			List<Runnable> faults = List.of(member::stop, member::kill, member::pause, member::resume, member::start,
					member::restart);
			assertThat(faults).allSatisfy((fault) -> assertThatExceptionOfType(UnsupportedOperationException.class)
				.isThrownBy(fault::run)
				.withMessage("fault injection needs a launched etcd: unset ETCD_ENDPOINTS"));
			try (Client client = external.newClient()) {
				put(client.getKVClient(), "external", "yes");
				assertThat(get(client.getKVClient(), "external", false)).isEqualTo("yes");
			}
			external.close();
			assertThat(launched.member(0).isRunning()).isTrue();
		}
	}

	static void put(KV kv, String key, String value) throws Exception {
		kv.put(bytes(key), bytes(value)).get(5, TimeUnit.SECONDS);
	}

	static String get(KV kv, String key, boolean serializable) throws Exception {
		GetResponse response = kv.get(bytes(key), GetOption.builder().withSerializable(serializable).build())
			.get(2, TimeUnit.SECONDS);
		if (response.getKvs().isEmpty()) {
			return null;
		}
		return response.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
	}

	static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

}
