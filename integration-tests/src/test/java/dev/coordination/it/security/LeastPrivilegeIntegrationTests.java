package dev.coordination.it.security;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.coordination.config.ConfigTemplate;
import dev.coordination.config.FeatureFlags;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedReadWriteLock;
import dev.coordination.lock.DistributedSemaphore;
import dev.coordination.session.CoordinationSession;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.auth.Permission;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * With etcd authentication on, a user whose role grants read-write only on the starter's prefixes
 * ({@code /elections/}, {@code /locks/}, {@code /rwlocks/}, {@code /semaphores/}, {@code /services/},
 * {@code /shards/}, {@code /flags/}, {@code /config-snapshots/}) and read on {@code /config/} runs
 * every capability at once; a key outside those prefixes is neither read nor written.
 */
class LeastPrivilegeIntegrationTests {

	// enabling authentication changes the cluster for everyone: never a shared ETCD_ENDPOINTS one
	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	static final List<String> READ_WRITE = List.of("/elections/", "/locks/", "/rwlocks/", "/semaphores/",
			"/services/", "/flags/", "/config-snapshots/", "/shards/");

	private static long outsideRevision;

	@BeforeAll
	static void grantTheStartersPrefixesOnly() throws Exception {
		Client root = etcd.client();
		root.getKVClient().put(bytes("/config/orders/greeting"), bytes("from etcd")).get(5, TimeUnit.SECONDS);
		outsideRevision = root.getKVClient().put(bytes("/outside/secret"), bytes("untouched")).get(5, TimeUnit.SECONDS)
			.getHeader().getRevision();
		Auth auth = root.getAuthClient();
		auth.roleAdd(bytes("root")).get(5, TimeUnit.SECONDS);
		auth.userAdd(bytes("root"), bytes("root-secret")).get(5, TimeUnit.SECONDS);
		auth.userGrantRole(bytes("root"), bytes("root")).get(5, TimeUnit.SECONDS);
		auth.roleAdd(bytes("coordination")).get(5, TimeUnit.SECONDS);
		for (String prefix : READ_WRITE) {
			auth.roleGrantPermission(bytes("coordination"), bytes(prefix), rangeEnd(prefix), Permission.Type.READWRITE)
				.get(5, TimeUnit.SECONDS);
		}
		auth.roleGrantPermission(bytes("coordination"), bytes("/config/"), rangeEnd("/config/"), Permission.Type.READ)
			.get(5, TimeUnit.SECONDS);
		auth.userAdd(bytes("orders"), bytes("orders-secret")).get(5, TimeUnit.SECONDS);
		auth.userGrantRole(bytes("orders"), bytes("coordination")).get(5, TimeUnit.SECONDS);
		auth.authEnable().get(5, TimeUnit.SECONDS);
	}

	@Test
	void everyCapabilityRunsOnTheGrantedPrefixesAndNothingOutsideIsTouched() throws Exception {
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class).run(
				"--spring.main.web-application-type=none", "--spring.main.banner-mode=off",
				"--spring.application.name=orders", "--spring.config.import=etcd:",
				"--coordination.etcd.endpoints=" + etcd.endpointsAsString(), "--coordination.etcd.username=orders",
				"--coordination.etcd.password=orders-secret", "--coordination.etcd.request-timeout=3s",
				"--coordination.etcd.instance.port=8080", "--coordination.etcd.instance.host=127.0.0.1",
				"--coordination.shards.invoices.count=4")) {
			// configuration imported at start-up and watched (read on /config/ is enough)
			assertThat(context.getEnvironment().getProperty("greeting")).isEqualTo("from etcd");
			await().atMost(Duration.ofSeconds(10))
				.until(() -> context.getBean(CoordinationSession.class).isValid());
			// leader election
			LeaderElection election = context.getBean(LeaderElections.class).election(LeaderElection.DEFAULT);
			assertThat(election.awaitLeadership(Duration.ofSeconds(10))).isTrue();
			// locks, read-write locks, semaphores, with fenced writes under the granted prefixes
			DistributedLockRegistry locks = context.getBean(DistributedLockRegistry.class);
			DistributedLock lock = locks.obtain("orders/42");
			assertThat(lock.tryLock(5, TimeUnit.SECONDS)).isTrue();
			try {
				assertThat(lock.fencedWrite(FencedWrite.put("/locks/fenced-by-orders", "1")).applied()).isTrue();
			}
			finally {
				lock.unlock();
			}
			DistributedReadWriteLock readWrite = locks.readWriteLock("catalog");
			assertThat(readWrite.writeLock().tryLock(5, TimeUnit.SECONDS)).isTrue();
			readWrite.writeLock().unlock();
			assertThat(readWrite.readLock().tryLock(5, TimeUnit.SECONDS)).isTrue();
			readWrite.readLock().unlock();
			DistributedSemaphore semaphore = locks.semaphore("exports", 2);
			try (DistributedSemaphore.Permit permit = semaphore.tryAcquire(Duration.ofSeconds(5)).orElseThrow()) {
				assertThat(permit).isNotNull();
			}
			// a sharded workload: every shard owned, with a fenced write under a shard's token
			ShardedWorkload invoices = context.getBean(ShardedWorkloads.class).workload("invoices");
			await().atMost(Duration.ofSeconds(10)).until(() -> invoices.ownedShards().size() == 4);
			assertThat(invoices.fencedWrite(2, FencedWrite.put("/shards/fenced-by-orders", "1")).applied()).isTrue();
			// discovery: registered, and seen in its own catalog
			await().atMost(Duration.ofSeconds(10))
				.until(() -> context.getBean(EtcdServiceRegistration.class).isRegistered());
			await().atMost(Duration.ofSeconds(5))
				.until(() -> context.getBean(ServiceDiscovery.class).instances("orders").size() == 1);
			// feature flags and snapshots
			FeatureFlags flags = context.getBean(FeatureFlags.class);
			flags.enable("new-checkout");
			assertThat(flags.isEnabled("new-checkout")).isTrue();
			ConfigTemplate config = context.getBean(ConfigTemplate.class);
			assertThat(config.save("before-release").keys()).isEqualTo(1);
			// but the configuration itself is read-only for this user, and the rest of etcd closed
			EtcdTemplate template = context.getBean(EtcdTemplate.class);
			assertThatExceptionOfType(EtcdAccessException.class).isThrownBy(() -> config.put("orders", "greeting", "x"));
			assertThatExceptionOfType(EtcdAccessException.class).isThrownBy(() -> template.get("/outside/secret"));
		}
		// after the application stopped: the key outside the prefixes was never written
		Client root = Client.builder()
			.endpoints(etcd.endpointsAsString().split(","))
			.user(bytes("root"))
			.password(bytes("root-secret"))
			.build();
		try {
			KeyValue outside = root.getKVClient().get(bytes("/outside/secret")).get(5, TimeUnit.SECONDS).getKvs().get(0);
			assertThat(outside.getModRevision()).isEqualTo(outsideRevision);
			assertThat(EtcdKeys.string(outside.getValue())).isEqualTo("untouched");
			// and the application cleaned up after itself: no registration, lock, election or shard key left
			for (String prefix : List.of("/elections/", "/locks/orders", "/rwlocks/", "/semaphores/", "/services/",
					"/shards/invoices/")) {
				assertThat(root.getKVClient().get(bytes(prefix), io.etcd.jetcd.options.GetOption.builder()
					.isPrefix(true).withCountOnly(true).build()).get(5, TimeUnit.SECONDS).getCount()).as(prefix).isZero();
			}
		}
		finally {
			root.close();
		}
	}

	private static ByteSequence bytes(String text) {
		return EtcdKeys.bytes(text);
	}

	// the end of a prefix's range: its last byte plus one, "/locks/" -> "/locks0"
	private static ByteSequence rangeEnd(String prefix) {
		return bytes(prefix.substring(0, prefix.length() - 1) + (char) (prefix.charAt(prefix.length() - 1) + 1));
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Application {

	}

}
