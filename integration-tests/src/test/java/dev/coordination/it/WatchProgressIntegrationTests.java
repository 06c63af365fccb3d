package dev.coordination.it;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.PrefixMirror;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static dev.coordination.etcd.internal.EtcdKeys.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How the mirrors' watches use etcd's progress requests, which differ by etcd version: etcd 3.4.31+
 * and 3.5.13+ (CI runs 3.5.16) answer them in order with the events, so the watches ask; older
 * versions (Debian bookworm's 3.4.23, CI's default) can answer ahead of events (etcd-io/etcd#15220),
 * so the watches never ask. Each test asserts what the version it runs on must do.
 */
class WatchProgressIntegrationTests {

	private static final Duration INTERVAL = Duration.ofMillis(200);

	// paused in a test: launched for this class alone
	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final List<Long> progressed = new CopyOnWriteArrayList<>();

	private final List<Boolean> connected = new CopyOnWriteArrayList<>();

	private Client client;

	private EtcdTemplate template;

	private PrefixMirror mirror;

	private boolean answersInOrder;

	@BeforeEach
	void startAMirrorOfAQuietPrefix() throws Exception {
		this.client = etcd.cluster().newClient();
		this.template = new EtcdTemplate(this.client, Duration.ofSeconds(2));
		String version = this.template.status(etcd.endpoints().get(0), Duration.ofSeconds(5))
			.get(5, TimeUnit.SECONDS)
			.getVersion();
		this.answersInOrder = WatchProgress.answersInOrder(version);
		this.mirror = new PrefixMirror(this.template, "progress-test", List.of("/progress-test/quiet/"),
				(key) -> true, Duration.ZERO, RetryPolicy.DEFAULT, new WatchProgress(this.template, INTERVAL),
				new PrefixMirror.Handler() {

					@Override
					public void changed(Map<String, KeyValue> kvs, Set<String> changed, long revision,
							long receivedAt) {
					}

					@Override
					public void connected(boolean connected) {
						WatchProgressIntegrationTests.this.connected.add(connected);
					}

					@Override
					public void progressed(long revision) {
						WatchProgressIntegrationTests.this.progressed.add(revision);
					}

				});
		this.mirror.start(0, List.of());
		await().atMost(Duration.ofSeconds(5)).until(() -> this.mirror.revision() > 0);
	}

	@AfterEach
	void stop() throws Exception {
		this.mirror.stop();
		etcd.cluster().restore(Duration.ofSeconds(15));
		this.client.close();
	}

	@Test
	void aQuietMirrorFollowsTheRevisionOnlyWhereEtcdAnswersProgressInOrder() throws Exception {
		long before = this.mirror.revision();
		long written = 0;
		for (int i = 0; i < 5; i++) {
			written = this.client.getKVClient().put(bytes("/progress-test/elsewhere"), bytes("v" + i))
				.get(5, TimeUnit.SECONDS)
				.getHeader()
				.getRevision();
		}
		long last = written;
		if (this.answersInOrder) {
			// etcd 3.4.31+ / 3.5.13+: the answers move the quiet mirror to the latest revision
			await().atMost(Duration.ofSeconds(5)).until(() -> this.mirror.revision() >= last);
			assertThat(this.progressed).isNotEmpty().isSorted().last().isEqualTo(last);
		}
		else {
			// etcd before those: nothing is asked, the mirror stays at its last read or event
			await().during(INTERVAL.multipliedBy(8))
				.atMost(INTERVAL.multipliedBy(10))
				.until(() -> this.mirror.revision() == before);
			assertThat(this.progressed).isEmpty();
		}
		// either way an event still arrives, once
		long put = this.client.getKVClient().put(bytes("/progress-test/quiet/a"), bytes("1"))
			.get(5, TimeUnit.SECONDS)
			.getHeader()
			.getRevision();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.mirror.revision() >= put);
	}

	@Test
	void aFrozenMemberIsNoticedWithinTwoUnansweredRequestsOnlyWhereEtcdAnswersProgressInOrder() {
		await().atMost(Duration.ofSeconds(5)).until(() -> this.connected.contains(true));
		this.connected.clear();
		etcd.cluster().member(0).pause();
		if (this.answersInOrder) {
			// gRPC's keep-alive would take 30 s + 10 s; two unanswered requests take two intervals
			await().atMost(Duration.ofSeconds(3)).until(() -> this.connected.contains(false));
			etcd.cluster().member(0).resume();
			await().atMost(Duration.ofSeconds(5)).until(() -> !this.connected.isEmpty()
					&& this.connected.get(this.connected.size() - 1));
		}
		else {
			// nothing is asked: the silence goes unnoticed until gRPC's keep-alive
			await().during(INTERVAL.multipliedBy(8))
				.atMost(INTERVAL.multipliedBy(10))
				.until(() -> !this.connected.contains(false));
			etcd.cluster().member(0).resume();
		}
	}

}
