package dev.coordination.it;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdNotFoundException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.LeaseStatus;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * {@link EtcdTemplate#leaseStatus(long)} against a real etcd: the TTL and keys of a live lease, and
 * an error naming the lease once it was revoked or expired.
 */
class EtcdTemplateLeaseIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().build());

	private static final String NAMESPACE = "/lease-tests";

	private Client client;

	private EtcdTemplate template;

	@BeforeEach
	void namespacedTemplate() {
		this.client = Client.builder()
			.endpoints(etcd.endpoints())
			.namespace(ByteSequence.from(NAMESPACE, StandardCharsets.UTF_8))
			.build();
		this.template = new EtcdTemplate(this.client, Duration.ofSeconds(5));
	}

	@AfterEach
	void close() {
		this.client.close();
	}

	@Test
	void listsTheKeysOfALiveLeaseSortedAndRelativeToTheNamespace() throws Exception {
		long lease = grant(30);
		this.template.put("/orders/b", "2", lease);
		this.template.put("/orders/a", "1", lease);
		this.template.put("/orders/ü", "3", lease);
		this.template.put("/orders/not-attached", "4");
		// the same lease, outside this client's namespace: not one of its keys
		etcd.client()
			.getKVClient()
			.put(ByteSequence.from("/elsewhere/x", StandardCharsets.UTF_8), ByteSequence.EMPTY,
					PutOption.builder().withLeaseId(lease).build())
			.get(5, TimeUnit.SECONDS);

		LeaseStatus status = this.template.leaseStatus(lease);

		assertThat(status.leaseId()).isEqualTo(lease);
		assertThat(status.keys()).containsExactly("/orders/a", "/orders/b", "/orders/ü");
		assertThat(status.granted()).isEqualTo(Duration.ofSeconds(30));
		assertThat(status.remaining()).isPositive().isLessThanOrEqualTo(status.granted());
	}

	@Test
	void aLeaseWithoutKeysHasAnEmptyList() throws Exception {
		LeaseStatus status = this.template.leaseStatus(grant(30));
		assertThat(status.keys()).isEmpty();
		assertThat(status.granted()).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void aRevokedLeaseIsNotFoundNamingIt() throws Exception {
		long lease = grant(30);
		this.template.put("/orders/revoked", "1", lease);
		this.client.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);

		assertThatExceptionOfType(EtcdNotFoundException.class).isThrownBy(() -> this.template.leaseStatus(lease))
			.withMessageContaining("lease " + Long.toHexString(lease))
			.withMessageContaining("expired or was revoked");
	}

	@Test
	void anExpiredLeaseIsNotFoundNamingIt() throws Exception {
		// etcd's minimum TTL (about 2 s) applies; nobody keeps the lease alive
		long lease = grant(2);
		this.template.put("/orders/expiring", "1", lease);
		await().atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(200))
			.untilAsserted(() -> assertThatExceptionOfType(EtcdNotFoundException.class)
				.isThrownBy(() -> this.template.leaseStatus(lease))
				.withMessageContaining("lease " + Long.toHexString(lease))
				.withMessageContaining("expired or was revoked"));
		assertThat(this.template.get("/orders/expiring")).isEmpty();
	}

	@Test
	void aLeaseNeverGrantedIsNotFound() {
		assertThatExceptionOfType(EtcdNotFoundException.class)
			.isThrownBy(() -> this.template.leaseStatus(0x7ead0000beefL))
			.withMessageContaining("lease 7ead0000beef");
	}

	@Test
	void aTimeoutThatIsNotPositiveIsRefusedAndTheStatusPrintsTheLeaseInHex() throws Exception {
		long lease = grant(30);
		assertThatIllegalArgumentException().isThrownBy(() -> this.template.leaseStatus(lease, Duration.ZERO))
			.withMessage("The timeout of leaseStatus must be positive, was PT0S");
		assertThatIllegalArgumentException().isThrownBy(() -> this.template.leaseStatus(lease, Duration.ofSeconds(-1)))
			.withMessage("The timeout of leaseStatus must be positive, was PT-1S");
		assertThat(this.template.leaseStatus(lease, Duration.ofSeconds(5)).toString())
			.matches("LeaseStatus\\[leaseId=" + Long.toHexString(lease) + ", remaining=PT\\d+S, granted=PT30S, keys=\\[]]");
	}

	private long grant(long ttlSeconds) throws Exception {
		return this.client.getLeaseClient().grant(ttlSeconds).get(5, TimeUnit.SECONDS).getID();
	}

}
