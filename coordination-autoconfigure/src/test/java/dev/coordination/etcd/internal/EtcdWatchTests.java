package dev.coordination.etcd.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The recovery of {@link EtcdWatch} without etcd: jetcd's callbacks are driven by hand with the
 * responses and errors that etcd and jetcd produce in the situations the class guards against.
 */
class EtcdWatchTests {

	private final Recorder recorder = new Recorder();

	private final AtomicReference<Watch.Listener> jetcd = new AtomicReference<>();

	private final AtomicReference<WatchOption> option = new AtomicReference<>();

	private final AtomicBoolean closed = new AtomicBoolean();

	private final AtomicInteger progressRequests = new AtomicInteger();

	private EtcdWatch watchFrom(long revision) {
		return new EtcdWatch((key, option, listener) -> {
			this.option.set(option);
			this.jetcd.set(listener);
			return new Watch.Watcher() {

				@Override
				public void close() {
					EtcdWatchTests.this.closed.set(true);
				}

				@Override
				public void requestProgress() {
					EtcdWatchTests.this.progressRequests.incrementAndGet();
				}

				@Override
				public boolean isClosed() {
					return EtcdWatchTests.this.closed.get();
				}

			};
		}, "/test/", ByteSequence.from("/test/", java.nio.charset.StandardCharsets.UTF_8), true, null, revision, false,
				Runnable::run, this.recorder);
	}

	@Test
	void asksJetcdForAPrefixFromTheRevisionWithALeaderAndCreateNotices() {
		watchFrom(11);
		assertThat(this.option.get().getRevision()).isEqualTo(11);
		assertThat(this.option.get().isPrefix()).isTrue();
		assertThat(this.option.get().withRequireLeader()).isTrue();
		assertThat(this.option.get().isCreatedNotify()).isTrue();
	}

	@Test
	void handsOverNewEventsInOrderAndDropsReplaysAndEventsOlderThanTheWatch() {
		watchFrom(11);
		respond(10, put("/test/old", 5));
		respond(12, put("/test/a", 12));
		// a transaction: two events at one revision are both new
		respond(13, put("/test/b", 13), delete("/test/a", 13));
		// jetcd replays after a reconnect
		respond(13, put("/test/a", 12), put("/test/b", 13), delete("/test/a", 13));
		respond(14, put("/test/c", 14));
		assertThat(this.recorder.events).containsExactly("PUT /test/a@12", "PUT /test/b@13", "DELETE /test/a@13",
				"PUT /test/c@14");
		assertThat(this.recorder.resyncs).isEmpty();
	}

	@Test
	void aProgressNoticeNobodyAskedForDoesNotMoveTheWatch() {
		// etcd before 3.4.31 and 3.5.13 can answer ahead of events still to come: only the answers to
		// this watch's own requests (made for etcd that answers in order) count
		EtcdWatch watch = watchFrom(11);
		respond(20);
		assertThat(this.recorder.progress).isEmpty();
		assertThat(watch.lastRevision()).isEqualTo(10);
		respond(15, put("/test/a", 15));
		assertThat(this.recorder.events).containsExactly("PUT /test/a@15");
	}

	@Test
	void anAnsweredProgressRequestMovesTheWatchOn() {
		EtcdWatch watch = watchFrom(11);
		assertThat(watch.requestProgress()).isTrue();
		assertThat(this.progressRequests).hasValue(1);
		respond(20);
		assertThat(this.recorder.progress).containsExactly(20L);
		assertThat(watch.lastRevision()).isEqualTo(20);
		// an event jetcd replays from before the confirmed revision is dropped
		respond(20, put("/test/a", 18));
		respond(21, put("/test/b", 21));
		assertThat(this.recorder.events).containsExactly("PUT /test/b@21");
		// an answer behind the watch does not move it back
		respond(19);
		assertThat(this.recorder.progress).containsExactly(20L);
		assertThat(watch.lastRevision()).isEqualTo(21);
	}

	@Test
	void aProgressRequestTellsWhetherAnythingArrivedSinceThePreviousOne() {
		EtcdWatch watch = watchFrom(11);
		assertThat(watch.requestProgress()).isTrue();
		assertThat(watch.requestProgress()).isFalse();
		respond(12, put("/test/a", 12));
		assertThat(watch.requestProgress()).isTrue();
		assertThat(watch.requestProgress()).isFalse();
		respond(12);
		assertThat(watch.requestProgress()).isTrue();
		assertThat(this.progressRequests).hasValue(5);
	}

	@Test
	void compactionEndsTheWatchAndAsksToReadAgainOnce() {
		EtcdWatch watch = watchFrom(11);
		this.jetcd.get().onError(EtcdExceptionFactory.newCompactedException(30));
		this.jetcd.get().onCompleted();
		respond(31, put("/test/a", 31));
		assertThat(this.recorder.resyncs).singleElement().asString().contains("compacted");
		assertThat(this.closed).isTrue();
		assertThat(this.recorder.events).isEmpty();
		assertThat(watch.lastRevision()).isEqualTo(10);
	}

	@Test
	void aTransportErrorIsADisconnectThatJetcdResumes() {
		watchFrom(11);
		this.jetcd.get().onError(Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException());
		assertThat(this.recorder.connected).containsExactly(false);
		assertThat(this.recorder.resyncs).isEmpty();
		respond(12, put("/test/a", 12));
		assertThat(this.recorder.connected).containsExactly(false, true);
		assertThat(this.recorder.events).containsExactly("PUT /test/a@12");
	}

	@Test
	void aCreateNoticeAfterAnInterruptionAsksToReadAgain() {
		watchFrom(11);
		respond(12, put("/test/a", 12));
		this.jetcd.get().onError(Status.UNAVAILABLE.asRuntimeException());
		// jetcd resumed the stream: it may have resumed past changes it never delivered
		created(15);
		assertThat(this.recorder.resyncs).singleElement().asString().contains("interrupted");
		assertThat(this.closed).isTrue();
	}

	@Test
	void etcdBehindTheWatchAsksToReadAgain() {
		watchFrom(11);
		created(11);
		respond(20, put("/test/a", 20));
		// etcd restored from an older backup answers a new stream at an older revision
		created(15);
		assertThat(this.recorder.resyncs).singleElement().asString().contains("before 20");
	}

	@Test
	void theEndOfTheStreamAsksToReadAgain() {
		watchFrom(11);
		this.jetcd.get().onCompleted();
		assertThat(this.recorder.resyncs).singleElement().asString().contains("ended");
	}

	@Test
	void nothingIsHandedOverAfterClose() {
		EtcdWatch watch = watchFrom(11);
		watch.close();
		respond(12, put("/test/a", 12));
		this.jetcd.get().onCompleted();
		assertThat(this.recorder.events).isEmpty();
		assertThat(this.recorder.resyncs).isEmpty();
	}

	private void created(long revision) {
		this.jetcd.get()
			.onNext(new WatchResponse(io.etcd.jetcd.api.WatchResponse.newBuilder()
				.setHeader(ResponseHeader.newBuilder().setRevision(revision))
				.setCreated(true)
				.build()));
	}

	private void respond(long headerRevision, Event... events) {
		io.etcd.jetcd.api.WatchResponse.Builder response = io.etcd.jetcd.api.WatchResponse.newBuilder()
			.setHeader(ResponseHeader.newBuilder().setRevision(headerRevision));
		for (Event event : events) {
			response.addEvents(event);
		}
		this.jetcd.get().onNext(new WatchResponse(response.build()));
	}

	private static Event put(String key, long revision) {
		return Event.newBuilder()
			.setType(Event.EventType.PUT)
			.setKv(KeyValue.newBuilder().setKey(ByteString.copyFromUtf8(key)).setModRevision(revision))
			.build();
	}

	private static Event delete(String key, long revision) {
		return Event.newBuilder()
			.setType(Event.EventType.DELETE)
			.setKv(KeyValue.newBuilder().setKey(ByteString.copyFromUtf8(key)).setModRevision(revision))
			.build();
	}

	private static final class Recorder implements EtcdWatch.Listener {

		final List<String> events = new ArrayList<>();

		final List<String> resyncs = new ArrayList<>();

		final List<Boolean> connected = new ArrayList<>();

		final List<Long> progress = new ArrayList<>();

		@Override
		public void events(List<WatchEvent> events, long revision) {
			events.forEach((event) -> this.events.add(event.getEventType() + " "
					+ event.getKeyValue().getKey().toString(java.nio.charset.StandardCharsets.UTF_8) + "@"
					+ event.getKeyValue().getModRevision()));
		}

		@Override
		public void resync(String reason) {
			this.resyncs.add(reason);
		}

		@Override
		public void connected(boolean connected) {
			this.connected.add(connected);
		}

		@Override
		public void progressed(long revision) {
			this.progress.add(revision);
		}

	}

}
