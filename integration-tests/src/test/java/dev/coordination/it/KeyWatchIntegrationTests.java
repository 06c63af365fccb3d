package dev.coordination.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.KeyWatch;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.watch.WatchEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static dev.coordination.etcd.internal.EtcdKeys.bytes;
import static dev.coordination.etcd.internal.EtcdKeys.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * {@link EtcdTemplate#watch} and {@link EtcdTemplate#watchPrefix} against a real etcd: previous
 * values, history, compaction, progress, an etcd restart, close and a failing listener.
 */
@ExtendWith(OutputCaptureExtension.class)
class KeyWatchIntegrationTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	// killed and compacted in tests: launched for this class alone
	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final Recorder recorder = new Recorder();

	private final List<KeyWatch> watches = new ArrayList<>();

	private Client client;

	private EtcdTemplate template;

	@BeforeEach
	void connect() {
		this.client = etcd.cluster().newClient();
		this.template = new EtcdTemplate(this.client, Duration.ofSeconds(5));
	}

	@AfterEach
	void close() {
		this.watches.forEach(KeyWatch::close);
		etcd.cluster().restore(Duration.ofSeconds(15));
		this.client.close();
	}

	@Test
	void eachEventCarriesTheValueItReplacedAlsoForADelete() {
		long from = now() + 1;
		watch(this.template.watch("/kw/prev/a", from, this.recorder));
		this.template.put("/kw/prev/a", "1");
		this.template.put("/kw/prev/a", "2");
		this.template.put("/kw/prev/b", "other key");
		this.template.delete("/kw/prev/a");
		await().atMost(WAIT).until(() -> this.recorder.events.size() == 3);
		assertThat(this.recorder.events).containsExactly("PUT /kw/prev/a = 1 (was: none)",
				"PUT /kw/prev/a = 2 (was: 1)", "DELETE /kw/prev/a (was: 2)");
		assertThat(this.recorder.threads).allMatch((name) -> name.startsWith("coordination-watch-"));
	}

	@Test
	void aWatchFromAnOldRevisionReplaysTheHistoryInOrder() {
		long first = this.template.put("/kw/history/x", "1").getHeader().getRevision();
		this.template.put("/kw/history/y", "1");
		this.template.put("/kw/history/x", "2");
		long last = this.template.delete("/kw/history/y") == 1 ? now() : -1;
		watch(this.template.watchPrefix("/kw/history/", first, this.recorder));
		await().atMost(WAIT).until(() -> this.recorder.events.size() == 4);
		assertThat(this.recorder.events).containsExactly("PUT /kw/history/x = 1 (was: none)",
				"PUT /kw/history/y = 1 (was: none)", "PUT /kw/history/x = 2 (was: 1)", "DELETE /kw/history/y (was: 1)");
		assertThat(this.recorder.revisions).containsExactly(first, first + 1, first + 2, last);
		assertThat(this.watches.get(0).revision()).isEqualTo(last);
	}

	@Test
	void aCompactedHistoryIsReportedAndTheWatchGoesOnFromTheCurrentRevision() throws Exception {
		long first = this.template.put("/kw/compacted/a", "1").getHeader().getRevision();
		this.template.put("/kw/compacted/a", "2");
		long compacted = this.template.put("/kw/compacted/a", "3").getHeader().getRevision();
		this.client.getKVClient().compact(compacted).get(10, TimeUnit.SECONDS);
		long before = now();
		KeyWatch watch = watch(this.template.watch("/kw/compacted/a", first, this.recorder));
		await().atMost(WAIT).until(() -> !this.recorder.compactions.isEmpty());
		long[] compaction = this.recorder.compactions.get(0);
		assertThat(compaction[0]).isEqualTo(compacted);
		assertThat(compaction[1]).isGreaterThanOrEqualTo(before);
		assertThat(watch.revision()).isEqualTo(compaction[1]);
		assertThat(this.recorder.events).isEmpty();
		long later = this.template.put("/kw/compacted/a", "4").getHeader().getRevision();
		await().atMost(WAIT).until(() -> this.recorder.events.size() == 1);
		assertThat(this.recorder.events).containsExactly("PUT /kw/compacted/a = 4 (was: 3)");
		assertThat(this.recorder.revisions).containsExactly(later);
		assertThat(this.recorder.compactions).hasSize(1);
		assertThat(watch.isClosed()).isFalse();
	}

	@Test
	void aProgressRequestIsAnsweredWithARevisionPastChangesElsewhere() {
		KeyWatch watch = watch(this.template.watch("/kw/progress/a", now() + 1, this.recorder));
		long event = this.template.put("/kw/progress/a", "1").getHeader().getRevision();
		await().atMost(WAIT).until(() -> watch.revision() == event);
		long elsewhere = 0;
		for (int i = 0; i < 3; i++) {
			elsewhere = this.template.put("/kw/progress/elsewhere", "v" + i).getHeader().getRevision();
		}
		long last = elsewhere;
		// an answer may be withheld while etcd is busy: ask until one comes
		await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
			watch.requestProgress();
			return !this.recorder.progress.isEmpty();
		});
		assertThat(this.recorder.progress.get(0)).isGreaterThanOrEqualTo(last);
		assertThat(watch.revision()).isGreaterThanOrEqualTo(last);
		assertThat(this.recorder.events).containsExactly("PUT /kw/progress/a = 1 (was: none)");
		// and the watch still delivers what comes next
		this.template.put("/kw/progress/a", "2");
		await().atMost(WAIT).until(() -> this.recorder.events.size() == 2);
		assertThat(this.recorder.events.get(1)).isEqualTo("PUT /kw/progress/a = 2 (was: 1)");
	}

	@Test
	void anEtcdRestartLosesNoEventAndRepeatsNone() throws Exception {
		KeyWatch watch = watch(this.template.watchPrefix("/kw/restart/", now() + 1, this.recorder));
		List<Long> written = new ArrayList<>();
		for (int i = 0; i < 20; i++) {
			written.add(put("/kw/restart/k" + (i % 3), "before-" + i));
		}
		// not waiting for the events: some may still be on their way when etcd dies
		etcd.cluster().member(0).kill();
		etcd.cluster().member(0).start();
		etcd.cluster().awaitHealthy(Duration.ofSeconds(15));
		for (int i = 0; i < 20; i++) {
			written.add(put("/kw/restart/k" + (i % 3), "after-" + i));
		}
		await().atMost(WAIT).until(() -> this.recorder.revisions.size() >= written.size());
		await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> this.recorder.revisions.size() == written.size());
		assertThat(this.recorder.revisions).containsExactlyElementsOf(written);
		assertThat(this.recorder.events.get(20)).isEqualTo("PUT /kw/restart/k0 = after-0 (was: before-18)");
		assertThat(watch.isClosed()).isFalse();
		assertThat(this.recorder.errors).isEmpty();
	}

	@Test
	void nothingIsDeliveredAfterClose() {
		KeyWatch watch = watch(this.template.watch("/kw/close/a", now() + 1, this.recorder));
		this.template.put("/kw/close/a", "1");
		await().atMost(WAIT).until(() -> this.recorder.events.size() == 1);
		watch.close();
		watch.close();
		assertThat(watch.isClosed()).isTrue();
		this.template.put("/kw/close/a", "2");
		this.template.put("/kw/close/a", "3");
		await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> this.recorder.events.size() == 1);
	}

	@Test
	void aListenerThatThrowsIsLoggedAndTheWatchGoesOn(CapturedOutput output) {
		AtomicBoolean thrown = new AtomicBoolean();
		KeyWatch.Listener failing = (event) -> {
			if (thrown.compareAndSet(false, true)) {
				throw new IllegalStateException("listener failure");
			}
			this.recorder.onEvent(event);
		};
		watch(this.template.watchPrefix("/kw/throws/", now() + 1, failing));
		// two keys in one transaction: one response, one revision
		this.template.txn("two puts", (txn) -> txn.Then(
				Op.put(bytes("/kw/throws/a"), bytes("1"), PutOption.DEFAULT),
				Op.put(bytes("/kw/throws/b"), bytes("1"), PutOption.DEFAULT)));
		this.template.put("/kw/throws/a", "2");
		await().atMost(WAIT).until(() -> this.recorder.events.size() == 2);
		assertThat(this.recorder.events).containsExactly("PUT /kw/throws/b = 1 (was: none)",
				"PUT /kw/throws/a = 2 (was: 1)");
		assertThat(output).contains("The listener of the watch of the keys under /kw/throws/ failed on the PUT of /kw/throws/a")
			.contains("listener failure");
	}

	@Test
	void aNegativeRevisionIsRejectedNamingTheParameter() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.template.watch("/kw/a", -1, this.recorder))
			.withMessageContaining("fromRevision");
		assertThatIllegalArgumentException().isThrownBy(() -> this.template.watchPrefix("/kw/", -5, this.recorder))
			.withMessageContaining("fromRevision");
	}

	private KeyWatch watch(KeyWatch watch) {
		this.watches.add(watch);
		return watch;
	}

	private long now() {
		return this.template.getPrefix("/kw/").getHeader().getRevision();
	}

	private long put(String key, String value) throws Exception {
		return this.client.getKVClient().put(bytes(key), bytes(value)).get(15, TimeUnit.SECONDS).getHeader().getRevision();
	}

	private static final class Recorder implements KeyWatch.Listener {

		private final List<String> events = new CopyOnWriteArrayList<>();

		private final List<Long> revisions = new CopyOnWriteArrayList<>();

		private final List<String> threads = new CopyOnWriteArrayList<>();

		private final List<Long> progress = new CopyOnWriteArrayList<>();

		private final List<long[]> compactions = new CopyOnWriteArrayList<>();

		private final List<EtcdAccessException> errors = new CopyOnWriteArrayList<>();

		@Override
		public void onEvent(WatchEvent event) {
			KeyValue kv = event.getKeyValue();
			KeyValue previous = event.getPrevKV();
			String was = (previous.getVersion() == 0) ? "none" : string(previous.getValue());
			this.events.add(event.getEventType() + " " + string(kv.getKey())
					+ ((event.getEventType() == WatchEvent.EventType.PUT) ? " = " + string(kv.getValue()) : "")
					+ " (was: " + was + ")");
			this.revisions.add(kv.getModRevision());
			this.threads.add(Thread.currentThread().getName());
		}

		@Override
		public void onProgress(long revision) {
			this.progress.add(revision);
		}

		@Override
		public void onCompacted(long compactRevision, long resumeRevision) {
			this.compactions.add(new long[] { compactRevision, resumeRevision });
		}

		@Override
		public void onError(EtcdAccessException failure) {
			this.errors.add(failure);
		}

	}

}
