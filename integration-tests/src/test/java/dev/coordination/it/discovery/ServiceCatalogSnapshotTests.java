package dev.coordination.it.discovery;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The catalog's lookups answer with immutable snapshots per service: a change of one service
 * publishes new lists for it only, and the lists already handed out never change.
 */
class ServiceCatalogSnapshotTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, DiscoveryAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s");

	@AfterEach
	void leaveEtcdWithoutRegistrations() throws Exception {
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/services/"),
				io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS);
	}

	@Test
	void aChangeOfOneServiceLeavesTheListsOfTheOthersAsTheyWere() throws Exception {
		put("orders", "b", "DOWN");
		put("orders", "a", "UP");
		put("billing", "x", "UP");
		this.contextRunner.run((context) -> {
			ServiceDiscovery discovery = context.getBean(ServiceDiscovery.class);
			DiscoveryClient client = context.getBean(DiscoveryClient.class);
			await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("billing").size() == 1
					&& discovery.allInstances("orders").size() == 2);
			List<ServiceRecord> ordersUp = discovery.instances("orders");
			List<ServiceRecord> ordersAll = discovery.allInstances("orders");
			List<ServiceRecord> billingUp = discovery.instances("billing");
			List<ServiceInstance> ordersInstances = client.getInstances("orders");
			List<ServiceInstance> billingInstances = client.getInstances("billing");
			Set<String> services = discovery.services();
			List<String> serviceIds = client.getServices();
			assertThat(ordersUp).extracting(ServiceRecord::instanceId).containsExactly("a");
			assertThat(ordersAll).extracting(ServiceRecord::instanceId).containsExactly("a", "b");
			assertThat(ordersInstances).extracting(ServiceInstance::getInstanceId).containsExactly("a");
			assertThat(serviceIds).containsExactly("billing", "orders");
			// an unchanged service answers with the very same lists, not a copy per call
			assertThat(discovery.instances("orders")).isSameAs(ordersUp);
			assertThat(client.getInstances("orders")).isSameAs(ordersInstances);
			assertThat(client.getServices()).isSameAs(serviceIds);

			put("billing", "y", "UP");
			await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("billing").size() == 2);
			assertThat(discovery.instances("orders")).isSameAs(ordersUp);
			assertThat(discovery.allInstances("orders")).isSameAs(ordersAll);
			assertThat(client.getInstances("orders")).isSameAs(ordersInstances);
			assertThat(discovery.services()).isSameAs(services);
			assertThat(client.getInstances("billing")).extracting(ServiceInstance::getInstanceId)
				.containsExactly("x", "y");
			assertThat(context.getBean(ReactiveDiscoveryClient.class).getInstances("billing")
				.map(ServiceInstance::getInstanceId)
				.collectList()
				.block(Duration.ofSeconds(5))).containsExactly("x", "y");
			// what was handed out before the change still shows the catalog as it was
			assertThat(billingUp).extracting(ServiceRecord::instanceId).containsExactly("x");
			assertThat(billingInstances).extracting(ServiceInstance::getInstanceId).containsExactly("x");

			put("orders", "b", "UP");
			await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("orders").size() == 2);
			assertThat(client.getInstances("orders")).extracting(ServiceInstance::getInstanceId)
				.containsExactly("a", "b");
			assertThat(ordersUp).extracting(ServiceRecord::instanceId).containsExactly("a");

			delete("billing", "x");
			delete("billing", "y");
			await().atMost(Duration.ofSeconds(5)).until(() -> discovery.services().equals(Set.of("orders")));
			assertThat(client.getServices()).containsExactly("orders");
			assertThat(client.getInstances("billing")).isEmpty();
			assertThat(discovery.instances("billing")).isEmpty();
			assertThat(serviceIds).containsExactly("billing", "orders");
		});
	}

	@Test
	void theListsHandedOutCannotBeChanged() throws Exception {
		put("orders", "a", "UP");
		this.contextRunner.run((context) -> {
			ServiceDiscovery discovery = context.getBean(ServiceDiscovery.class);
			DiscoveryClient client = context.getBean(DiscoveryClient.class);
			await().atMost(Duration.ofSeconds(5)).until(() -> discovery.instances("orders").size() == 1);
			for (Collection<?> answer : List.of(discovery.instances("orders"), discovery.allInstances("orders"),
					discovery.instances("none"), discovery.services(), client.getInstances("orders"),
					client.getInstances("none"), client.getServices())) {
				assertThatExceptionOfType(UnsupportedOperationException.class).as(answer.toString())
					.isThrownBy(answer::clear);
			}
		});
	}

	private static void put(String serviceId, String instanceId, String status) throws Exception {
		String json = "{\"instanceId\":\"" + instanceId + "\",\"serviceId\":\"" + serviceId
				+ "\",\"host\":\"127.0.0.1\",\"port\":8080,\"status\":\"" + status + "\"}";
		etcd.client().getKVClient().put(EtcdKeys.bytes("/services/" + serviceId + "/" + instanceId), EtcdKeys.bytes(json))
			.get(5, TimeUnit.SECONDS);
	}

	private static void delete(String serviceId, String instanceId) throws Exception {
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/services/" + serviceId + "/" + instanceId))
			.get(5, TimeUnit.SECONDS);
	}

}
