package dev.coordination.it.discovery;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceAddedEvent;
import dev.coordination.discovery.InstanceRemovedEvent;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The discovery catalog of a 3-member cluster when the member it watches through falls behind a
 * compaction, or restarts: it reads again or resumes, and ends with exactly what etcd holds.
 */
class ServiceCatalogFaultTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().members(3).requireLaunched().build());

	// the catalog talks to member 0 only, so that member's faults are the catalog's
	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, DiscoveryAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.cluster().member(0).clientEndpoint(),
				"coordination.etcd.request-timeout=1s");

	@AfterEach
	void leaveEtcdRunningWithoutRegistrations() throws Exception {
		etcd.cluster().restore(Duration.ofSeconds(15));
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/services/"),
				io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS);
	}

	@Test
	void aCatalogWhoseMemberFellBehindACompactionReadsAgainAndMissesNothing() throws Exception {
		try (Client other = Client.builder().endpoints(etcd.cluster().member(1).clientEndpoint()).build()) {
			put(other, "a", 8081);
			this.contextRunner.run((context) -> {
				ServiceDiscovery discovery = context.getBean(ServiceDiscovery.class);
				List<String> events = recordAddedAndRemoved(discovery);
				await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("orders").size() == 1);
				etcd.cluster().member(0).stop();
				// changes, then a compaction past them, while the catalog's member is down: the watch
				// resumes from a compacted revision
				put(other, "b", 8082);
				put(other, "c", 8083);
				delete(other, "a");
				long revision = other.getKVClient().get(EtcdKeys.bytes("/")).get(5, TimeUnit.SECONDS).getHeader()
					.getRevision();
				other.getKVClient().compact(revision).get(5, TimeUnit.SECONDS);
				etcd.cluster().member(0).start();
				await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(discovery.instances("orders"))
					.extracting(ServiceRecord::instanceId)
					.containsExactly("b", "c"));
				assertThat(discovery.revision()).isGreaterThanOrEqualTo(revision);
				// listeners hear of the changes on the event thread, once lookups answer with them
				await().atMost(Duration.ofSeconds(5))
					.untilAsserted(() -> assertThat(events).containsExactlyInAnyOrder("+b", "+c", "-a"));
				// and it watches again
				put(other, "d", 8084);
				await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("orders").size() == 3);
			});
		}
	}

	@Test
	void aCatalogWhoseMemberRestartedResumesWithoutLosingOrRepeatingAChange() throws Exception {
		try (Client other = Client.builder().endpoints(etcd.cluster().member(1).clientEndpoint()).build()) {
			this.contextRunner.run((context) -> {
				ServiceDiscovery discovery = context.getBean(ServiceDiscovery.class);
				List<String> events = recordAddedAndRemoved(discovery);
				put(other, "a", 8081);
				await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("orders").size() == 1);
				etcd.cluster().member(0).stop();
				put(other, "b", 8082);
				delete(other, "a");
				etcd.cluster().member(0).start();
				await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(discovery.instances("orders"))
					.extracting(ServiceRecord::instanceId)
					.containsExactly("b"));
				put(other, "c", 8083);
				await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("orders").size() == 2);
				// each change once: what happened while the member was down arrives as one batch, read
				// again after the reconnect (jetcd can skip changes when a resumed stream breaks again),
				// so its order across keys is not the order etcd applied them in
				await().atMost(Duration.ofSeconds(5)).untilAsserted(
						() -> assertThat(events).hasSize(4).startsWith("+a").endsWith("+c").contains("+b", "-a"));
			});
		}
	}

	private static void put(Client client, String instanceId, int port) throws Exception {
		String json = "{\"instanceId\":\"" + instanceId + "\",\"serviceId\":\"orders\",\"host\":\"127.0.0.1\",\"port\":"
				+ port + ",\"status\":\"UP\"}";
		client.getKVClient().put(EtcdKeys.bytes("/services/orders/" + instanceId), EtcdKeys.bytes(json))
			.get(5, TimeUnit.SECONDS);
	}

	private static void delete(Client client, String instanceId) throws Exception {
		client.getKVClient().delete(EtcdKeys.bytes("/services/orders/" + instanceId)).get(5, TimeUnit.SECONDS);
	}

	/**
	 * Record {@code +id} for every instance the catalog adds and {@code -id} for every one it removes.
	 */
	private static List<String> recordAddedAndRemoved(ServiceDiscovery discovery) {
		List<String> events = new CopyOnWriteArrayList<>();
		discovery.addListener(new DiscoveryListener() {

			@Override
			public void added(InstanceAddedEvent event) {
				events.add("+" + event.getInstance().instanceId());
			}

			@Override
			public void removed(InstanceRemovedEvent event) {
				events.add("-" + event.getInstance().instanceId());
			}

		});
		return events;
	}

}
