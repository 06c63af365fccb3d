package dev.coordination.it;

import java.util.concurrent.TimeUnit;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdConnectionDetails;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.test.junit.EtcdExtension;
import dev.coordination.test.spring.EtcdClusterConnectionDetails;
import dev.coordination.test.spring.EtcdTestConfiguration;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.coordination.etcd.internal.EtcdKeys.bytes;
import static org.assertj.core.api.Assertions.assertThat;

class EtcdClientIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create();

	private final ApplicationContextRunner contextRunner = EtcdContexts.runner(etcd.endpointsAsString());

	@Test
	void clientBeanAndTemplateWriteWhatAnotherClientReads() {
		this.contextRunner.run((context) -> {
			EtcdTemplate template = context.getBean(EtcdTemplate.class);
			template.put("/it/client/template", "from template");
			context.getBean(Client.class)
				.getKVClient()
				.put(bytes("/it/client/bean"), bytes("from bean"))
				.get(5, TimeUnit.SECONDS);
			assertThat(valueSeenByAnotherClient("/it/client/template")).isEqualTo("from template");
			assertThat(valueSeenByAnotherClient("/it/client/bean")).isEqualTo("from bean");
			assertThat(template.get("/it/client/bean")).map(KeyValue::getValue).map(EtcdKeys::string)
				.contains("from bean");
			assertThat(template.delete("/it/client/bean")).isEqualTo(1);
			assertThat(template.get("/it/client/bean")).isEmpty();
		});
	}

	@Test
	void namespacePrefixesEveryKeyOfTheClientBeanAndTheTemplate() {
		this.contextRunner.withPropertyValues("coordination.etcd.namespace=/team-a").run((context) -> {
			EtcdTemplate template = context.getBean(EtcdTemplate.class);
			template.put("/orders/1", "one");
			context.getBean(Client.class).getKVClient().put(bytes("/orders/2"), bytes("two")).get(5, TimeUnit.SECONDS);
			assertThat(valueSeenByAnotherClient("/team-a/orders/1")).isEqualTo("one");
			assertThat(valueSeenByAnotherClient("/team-a/orders/2")).isEqualTo("two");
			assertThat(valueSeenByAnotherClient("/orders/1")).isNull();
			assertThat(template.getPrefix("/orders/").getKvs()).extracting((kv) -> EtcdKeys.string(kv.getKey()))
				.containsExactly("/orders/1", "/orders/2");
		});
	}

	@Test
	void testConfigurationWiresALaunchedEtcdThroughConnectionDetails() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class))
			.withUserConfiguration(EtcdTestConfiguration.class)
			.run((context) -> {
				assertThat(context).getBean(EtcdConnectionDetails.class).isInstanceOf(EtcdClusterConnectionDetails.class);
				EtcdTemplate template = context.getBean(EtcdTemplate.class);
				template.put("/it/launched", "yes");
				assertThat(template.get("/it/launched")).map(KeyValue::getValue).map(EtcdKeys::string).contains("yes");
				assertThat(template.members(template.getRequestTimeout())).hasSize(1);
			});
	}

	private static String valueSeenByAnotherClient(String key) throws Exception {
		return etcd.client()
			.getKVClient()
			.get(bytes(key))
			.get(5, TimeUnit.SECONDS)
			.getKvs()
			.stream()
			.findFirst()
			.map((kv) -> EtcdKeys.string(kv.getValue()))
			.orElse(null);
	}

}
