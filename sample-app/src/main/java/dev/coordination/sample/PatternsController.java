package dev.coordination.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdKeys;
import dev.coordination.etcd.EtcdTemplate;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.support.CloseableClient;
import io.etcd.jetcd.watch.WatchEvent;
import jakarta.annotation.PreDestroy;

import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The lower-level patterns users of etcd write by hand, through the starter's {@link EtcdTemplate}
 * (every call bounded by {@code coordination.etcd.request-timeout}):
 * <ul>
 * <li>{@code POST /patterns/counters/{name}}: a compare-and-swap increment, retried until no other
 * writer came in between;</li>
 * <li>{@code POST /patterns/leases?ttlSeconds=10}: a lease kept alive, with a key on it;
 * {@code DELETE /patterns/leases/{id}} stops the keep-alive and revokes it, deleting the key;</li>
 * <li>{@code GET /patterns/watch?prefix=/config/&fromRevision=1}: the changes under a prefix since a
 * revision, through a watch started at that revision (history kept until compaction).</li>
 * </ul>
 */
@RestController
class PatternsController {

	private final EtcdTemplate etcd;

	private final Map<Long, CloseableClient> keepAlives = new ConcurrentHashMap<>();

	PatternsController(EtcdTemplate etcd) {
		this.etcd = etcd;
	}

	@PostMapping(path = "/patterns/counters/{name}", produces = "text/plain")
	String increment(@PathVariable String name) {
		String key = "/sample/counters/" + EtcdKeys.segment("counter name", name);
		for (int attempt = 1;; attempt++) {
			KeyValue current = this.etcd.get(key).orElse(null);
			long value = (current != null) ? Long.parseLong(EtcdKeys.string(current.getValue())) : 0;
			// the put applies only if nobody changed the key since the read (mod revision 0: absent)
			Cmp unchanged = new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL,
					CmpTarget.modRevision((current != null) ? current.getModRevision() : 0));
			TxnResponse response = this.etcd.txn("increment " + key, (txn) -> txn.If(unchanged)
				.Then(Op.put(EtcdKeys.bytes(key), EtcdKeys.bytes(Long.toString(value + 1)), PutOption.DEFAULT)));
			if (response.isSucceeded()) {
				return "Counter " + name + " = " + (value + 1) + " after " + attempt + " attempt(s), at revision "
						+ response.getHeader().getRevision() + ".\n";
			}
		}
	}

	@PostMapping(path = "/patterns/leases", produces = "text/plain")
	String lease(@RequestParam(defaultValue = "10") long ttlSeconds) {
		long ttl = Math.max(2, ttlSeconds);
		long id = this.etcd.call("grant lease", () -> this.etcd.getClient().getLeaseClient().grant(ttl)).getID();
		String key = "/sample/leases/" + EtcdKeys.leaseHex(id);
		this.etcd.put(key, "alive", id);
		// jetcd sends a keep-alive every TTL / 3 until the stream is closed
		this.keepAlives.put(id, this.etcd.getClient().getLeaseClient().keepAlive(id, new io.grpc.stub.StreamObserver<>() {

			@Override
			public void onNext(io.etcd.jetcd.lease.LeaseKeepAliveResponse response) {
			}

			@Override
			public void onError(Throwable error) {
				PatternsController.this.keepAlives.remove(id);
			}

			@Override
			public void onCompleted() {
			}

		}));
		return "Lease " + EtcdKeys.leaseHex(id) + " (TTL " + ttl + " s) kept alive; " + key
				+ " lives as long as it does: etcdctl lease timetolive " + EtcdKeys.leaseHex(id) + " --keys\n";
	}

	@DeleteMapping(path = "/patterns/leases/{id}", produces = "text/plain")
	String revoke(@PathVariable String id) {
		long lease = Long.parseUnsignedLong(id, 16);
		CloseableClient keepAlive = this.keepAlives.remove(lease);
		if (keepAlive != null) {
			keepAlive.close();
		}
		this.etcd.call("revoke lease", () -> this.etcd.getClient().getLeaseClient().revoke(lease));
		return "Lease " + id + " revoked; its keys are gone.\n";
	}

	@GetMapping(path = "/patterns/watch", produces = "text/plain")
	String watch(@RequestParam String prefix, @RequestParam long fromRevision) throws InterruptedException {
		long now = this.etcd.getPrefix(prefix).getHeader().getRevision();
		List<String> events = new ArrayList<>();
		CountDownLatch caughtUp = new CountDownLatch(1);
		WatchOption option = WatchOption.builder().isPrefix(true).withRevision(Math.max(1, fromRevision)).build();
		try (Watch.Watcher watcher = this.etcd.getClient().getWatchClient().watch(EtcdKeys.bytes(prefix), option,
				Watch.listener((response) -> {
					for (WatchEvent event : response.getEvents()) {
						KeyValue kv = event.getKeyValue();
						synchronized (events) {
							events.add(event.getEventType() + " " + EtcdKeys.string(kv.getKey())
									+ ((event.getEventType() == WatchEvent.EventType.PUT)
											? " = " + EtcdKeys.string(kv.getValue()) : "")
									+ " @" + kv.getModRevision());
						}
						if (kv.getModRevision() >= now) {
							caughtUp.countDown();
						}
					}
				}, (error) -> caughtUp.countDown()))) {
			// until the watch reached the revision of now, or for a second when nothing changed since
			caughtUp.await(1, TimeUnit.SECONDS);
		}
		synchronized (events) {
			return "Changes under " + prefix + " from revision " + fromRevision + " to " + now + ":\n"
					+ String.join("\n", events) + "\n";
		}
	}

	@PreDestroy
	void stopKeepAlives() {
		this.keepAlives.values().forEach(CloseableClient::close);
	}

}
