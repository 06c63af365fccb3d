package dev.coordination.test.spring;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.coordination.autoconfigure.etcd.EtcdConnectionDetails;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdMember;
import dev.coordination.test.TestProcesses;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.service.connection.ConnectionDetailsFactory;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.support.SpringFactoriesLoader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link EtcdTestConfiguration} and the registration of
 * {@link EtcdContainerConnectionDetailsFactory}.
 */
class EtcdTestConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withUserConfiguration(EtcdTestConfiguration.class);

	@Test
	void contextGetsARunningEtcdThatIsClosedWithIt() {
		AtomicReference<EtcdCluster> started = new AtomicReference<>();
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(EtcdCluster.class).hasSingleBean(EtcdConnectionDetails.class);
			EtcdCluster cluster = context.getBean(EtcdCluster.class);
			started.set(cluster);
			EtcdConnectionDetails details = context.getBean(EtcdConnectionDetails.class);
			assertThat(details).isInstanceOf(EtcdClusterConnectionDetails.class);
			assertThat(details.getEndpoints()).isEqualTo(cluster.endpoints());
			assertThat(details.getUsername()).isNull();
			assertThat(details.getSslBundle()).isNull();
			try (Client client = Client.builder().endpoints(details.getEndpoints()).build()) {
				ByteSequence key = ByteSequence.from("spring", StandardCharsets.UTF_8);
				ByteSequence value = ByteSequence.from("yes", StandardCharsets.UTF_8);
				client.getKVClient().put(key, value).get(5, TimeUnit.SECONDS);
				assertThat(client.getKVClient().get(key).get(5, TimeUnit.SECONDS).getCount()).isOne();
			}
		});
		assertLaunchedClusterIsClosed(started.get());
	}

	@Test
	void testRunApplicationGetsEtcdFromWith() {
		EtcdCluster cluster;
		try (ConfigurableApplicationContext context = SpringApplication.from(TestApplication::main)
			.with(EtcdTestConfiguration.class)
			.run()
			.getApplicationContext()) {
			cluster = context.getBean(EtcdCluster.class);
			assertThat(context.getBean(EtcdConnectionDetails.class).getEndpoints()).isEqualTo(cluster.endpoints());
			assertThat(cluster.member(0).isRunning()).isTrue();
		}
		assertLaunchedClusterIsClosed(cluster);
	}

	@Test
	void containerConnectionDetailsFactoryIsRegistered() {
		assertThat(SpringFactoriesLoader.forDefaultResourceLocation().load(ConnectionDetailsFactory.class))
			.hasAtLeastOneElementOfType(EtcdContainerConnectionDetailsFactory.class);
	}

	private static void assertLaunchedClusterIsClosed(EtcdCluster cluster) {
		EtcdMember member = cluster.member(0);
		if (member.pid() != -1) {
			assertThat(member.isRunning()).isFalse();
			assertThat(TestProcesses.isAlive(member.pid())).isFalse();
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class TestApplication {

		static void main(String[] args) {
			SpringApplication application = new SpringApplication(TestApplication.class);
			application.setWebApplicationType(WebApplicationType.NONE);
			application.run(args);
		}

	}

}
