package dev.coordination.sample;

import java.util.Map;

import dev.coordination.test.spring.EtcdTestConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Import;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(EtcdTestConfiguration.class)
class SampleApplicationTests {

	@Value("${local.server.port}")
	private int port;

	private RestClient rest() {
		return RestClient.create("http://127.0.0.1:" + this.port);
	}

	@Test
	void rootNamesTheInstanceAndTheEtcdMembers() {
		String body = rest().get().uri("/").retrieve().body(String.class);
		assertThat(body).startsWith("I am sample-app on port ").contains("etcd members: m0 [http://127.0.0.1:");
	}

	@Test
	@SuppressWarnings("unchecked")
	void healthShowsEtcdUp() {
		Map<String, Object> health = rest().get().uri("/actuator/health").retrieve().body(Map.class);
		assertThat(health).containsEntry("status", "UP");
		Map<String, Object> etcd = (Map<String, Object>) ((Map<String, Object>) health.get("components")).get("etcd");
		assertThat(etcd).containsEntry("status", "UP");
		assertThat((Map<String, Object>) etcd.get("details")).containsKeys("clusterId", "memberId", "leaderId",
				"raftTerm", "dbSize", "version", "endpoints");
		Map<String, Object> session = (Map<String, Object>) ((Map<String, Object>) health.get("components"))
			.get("coordinationSession");
		assertThat(session).containsEntry("status", "UP");
		assertThat((Map<String, Object>) session.get("details")).containsKeys("leaseId", "ttl", "timeLeft");
	}

}
