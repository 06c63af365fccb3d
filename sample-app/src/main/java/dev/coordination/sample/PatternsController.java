package dev.coordination.sample;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.coordination.config.ConfigTemplate;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdNotFoundException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.KeyWatch;
import dev.coordination.etcd.LeaseStatus;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.stub.StreamObserver;
import jakarta.annotation.PreDestroy;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.util.unit.DataSize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The lower-level patterns users of etcd write by hand, through the starter's {@link EtcdTemplate}
 * (every call bounded by {@code coordination.etcd.request-timeout}):
 * <ul>
 * <li>{@code POST /patterns/counters/{name}}: a compare-and-swap increment, retried until no other
 * writer came in between;</li>
 * <li>{@code PUT /patterns/accounts/{name}?balance=100} opens an account (only if it does not exist);
 * {@code POST /patterns/accounts/{from}/transfer?to=bob&amount=30}: a transfer between two keys in one
 * transaction that applies only if neither key changed since it was read (compares on both keys'
 * versions), retried otherwise: no money is created or lost by concurrent transfers;</li>
 * <li>{@code POST /patterns/leases?ttlSeconds=10}: a lease kept alive, with a key on it (2 to 60 s, at
 * most 10 at a time);
 * {@code GET /patterns/leases/{id}} shows its TTL and keys as etcd sees them ({@link EtcdTemplate#leaseStatus},
 * also for the instance's session lease, whose id {@code /actuator/coordination} shows);
 * {@code DELETE /patterns/leases/{id}} stops the keep-alive and revokes it, deleting the key;</li>
 * <li>{@code GET /patterns/config/{context}?prefix=sample.greeting}: what one configuration context holds
 * in etcd, read at one revision through {@link ConfigTemplate#getAll(String, String)};
 * {@code GET /patterns/config/{context}/{property}?type=java.time.Duration}: one property converted as
 * Boot converts configuration ({@link ConfigTemplate#get(String, String, Class)});</li>
 * <li>{@code GET /patterns/watch?prefix=/config/&fromRevision=1}: the changes under a prefix since a
 * revision, each with the value it replaced, through {@link EtcdTemplate#watchPrefix} started at that
 * revision (history kept until compaction), for up to a second; only under {@code /sample/}, {@code /config/} and {@code /flags/}.</li>
 * </ul>
 */
@RestController
class PatternsController {

	private static final int MAX_ATTEMPTS = 100;

	private static final int MAX_LEASES = 10;

	private static final int MAX_EVENTS = 1000;

	private static final List<String> WATCHABLE = List.of("/sample/", "/config/", "/flags/");

	private static final List<Class<?>> TYPES = List.of(String.class, Integer.class, Long.class, Boolean.class,
			Duration.class, DataSize.class);

	private final EtcdTemplate etcd;

	private final Map<Long, CloseableClient> keepAlives = new ConcurrentHashMap<>();

	private final ConfigTemplate config;

	PatternsController(EtcdTemplate etcd, ConfigTemplate config) {
		this.etcd = etcd;
		this.config = config;
	}

	@PostMapping(path = "/patterns/counters/{name}", produces = "text/plain")
	ResponseEntity<String> increment(@PathVariable String name) {
		String key = "/sample/counters/" + Keys.segment(name);
		for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
			KeyValue current = this.etcd.get(key).orElse(null);
			long value;
			try {
				value = (current != null) ? Long.parseLong(Keys.text(current.getValue())) : 0;
			}
			catch (NumberFormatException ex) {
				return ResponseEntity.status(HttpStatus.CONFLICT).body(key + " does not hold a number.\n");
			}
			// the put applies only if nobody changed the key since the read (mod revision 0: absent)
			Cmp unchanged = new Cmp(Keys.bytes(key), Cmp.Op.EQUAL,
					CmpTarget.modRevision((current != null) ? current.getModRevision() : 0));
			TxnResponse response = this.etcd.txn("increment " + key, (txn) -> txn.If(unchanged)
				.Then(Op.put(Keys.bytes(key), Keys.bytes(Long.toString(value + 1)), PutOption.DEFAULT)));
			if (response.isSucceeded()) {
				return ResponseEntity.ok("Counter " + name + " = " + (value + 1) + " after " + attempt
						+ " attempt(s), at revision " + response.getHeader().getRevision() + ".\n");
			}
		}
		return ResponseEntity.status(HttpStatus.CONFLICT)
			.body("Counter " + name + " changed under every one of " + MAX_ATTEMPTS + " attempts.\n");
	}

	@PutMapping(path = "/patterns/accounts/{name}", produces = "text/plain")
	ResponseEntity<String> open(@PathVariable String name, @RequestParam long balance) {
		if (balance < 0) {
			return ResponseEntity.badRequest().body("balance must be 0 or more.\n");
		}
		String key = account(name);
		// version 0: the key does not exist
		TxnResponse response = this.etcd.txn("open " + key,
				(txn) -> txn.If(new Cmp(Keys.bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0)))
					.Then(Op.put(Keys.bytes(key), Keys.bytes(Long.toString(balance)), PutOption.DEFAULT)));
		return response.isSucceeded() ? ResponseEntity.ok("Account " + name + " opened with " + balance + ".\n")
				: ResponseEntity.status(HttpStatus.CONFLICT).body("Account " + name + " already exists.\n");
	}

	@PostMapping(path = "/patterns/accounts/{from}/transfer", produces = "text/plain")
	ResponseEntity<String> transfer(@PathVariable String from, @RequestParam String to, @RequestParam long amount) {
		if (amount <= 0) {
			return ResponseEntity.badRequest().body("amount must be more than 0.\n");
		}
		if (from.equals(to)) {
			return ResponseEntity.badRequest().body("A transfer needs two different accounts.\n");
		}
		String fromKey = account(from);
		String toKey = account(to);
		for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
			KeyValue source = this.etcd.get(fromKey).orElse(null);
			KeyValue target = this.etcd.get(toKey).orElse(null);
			if (source == null || target == null) {
				return ResponseEntity.status(HttpStatus.NOT_FOUND)
					.body("No account " + ((source == null) ? from : to) + ": open it with PUT /patterns/accounts/"
							+ ((source == null) ? from : to) + "?balance=100\n");
			}
			long sourceBalance;
			long targetBalance;
			try {
				sourceBalance = Long.parseLong(Keys.text(source.getValue()));
				targetBalance = Long.parseLong(Keys.text(target.getValue()));
			}
			catch (NumberFormatException ex) {
				return ResponseEntity.status(HttpStatus.CONFLICT)
					.body(fromKey + " or " + toKey + " does not hold a number.\n");
			}
			if (sourceBalance < amount) {
				return ResponseEntity.status(HttpStatus.CONFLICT)
					.body("Account " + from + " holds " + sourceBalance + ", less than " + amount + ".\n");
			}
			// both puts apply together, and only if neither account changed since it was read
			TxnResponse response = this.etcd.txn("transfer " + amount + " from " + fromKey + " to " + toKey,
					(txn) -> txn
						.If(new Cmp(Keys.bytes(fromKey), Cmp.Op.EQUAL, CmpTarget.version(source.getVersion())),
								new Cmp(Keys.bytes(toKey), Cmp.Op.EQUAL, CmpTarget.version(target.getVersion())))
						.Then(Op.put(Keys.bytes(fromKey), Keys.bytes(Long.toString(sourceBalance - amount)),
								PutOption.DEFAULT),
								Op.put(Keys.bytes(toKey), Keys.bytes(Long.toString(targetBalance + amount)),
										PutOption.DEFAULT)));
			if (response.isSucceeded()) {
				return ResponseEntity.ok("Moved " + amount + " from " + from + " to " + to + " after " + attempt
						+ " attempt(s), at revision " + response.getHeader().getRevision() + ": " + from + " = "
						+ (sourceBalance - amount) + ", " + to + " = " + (targetBalance + amount) + ".\n");
			}
		}
		return ResponseEntity.status(HttpStatus.CONFLICT)
			.body("The accounts changed under every one of " + MAX_ATTEMPTS + " attempts.\n");
	}

	private static String account(String name) {
		return "/sample/accounts/" + Keys.segment(name);
	}

	@PostMapping(path = "/patterns/leases", produces = "text/plain")
	ResponseEntity<String> lease(@RequestParam(defaultValue = "10") long ttlSeconds) {
		if (ttlSeconds < 2 || ttlSeconds > 60) {
			return ResponseEntity.badRequest().body("ttlSeconds must be from 2 to 60.\n");
		}
		if (this.keepAlives.size() >= MAX_LEASES) {
			return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
				.body("At most " + MAX_LEASES + " leases at a time: revoke one first.\n");
		}
		long id = this.etcd.call("grant lease", () -> this.etcd.getClient().getLeaseClient().grant(ttlSeconds)).getID();
		String key = "/sample/leases/" + Keys.hex(id);
		this.etcd.put(key, "alive", id);
		// jetcd sends a keep-alive every TTL / 3 until the stream is closed
		this.keepAlives.put(id, this.etcd.getClient().getLeaseClient().keepAlive(id, new StreamObserver<>() {

			@Override
			public void onNext(LeaseKeepAliveResponse response) {
			}

			@Override
			public void onError(Throwable error) {
				PatternsController.this.keepAlives.remove(id);
			}

			@Override
			public void onCompleted() {
			}

		}));
		return ResponseEntity.ok("Lease " + Keys.hex(id) + " (TTL " + ttlSeconds + " s) kept alive; " + key
				+ " lives as long as it does: etcdctl lease timetolive " + Keys.hex(id) + " --keys\n");
	}

	@GetMapping(path = "/patterns/leases/{id}", produces = "text/plain")
	ResponseEntity<String> leaseStatus(@PathVariable String id) {
		long lease = leaseId(id);
		try {
			LeaseStatus status = this.etcd.leaseStatus(lease);
			return ResponseEntity.ok("Lease " + id + ": " + status.remaining().toSeconds() + " s left of "
					+ status.granted().toSeconds() + " s, keys " + status.keys() + "\n");
		}
		catch (EtcdNotFoundException ex) {
			return ResponseEntity.status(HttpStatus.NOT_FOUND).body(ex.getMessage() + "\n");
		}
	}

	@GetMapping(path = "/patterns/config/{context}", produces = "text/plain")
	ResponseEntity<String> configuration(@PathVariable String context, @RequestParam(defaultValue = "") String prefix) {
		Map<String, String> properties = prefix.isEmpty() ? this.config.getAll(context)
				: this.config.getAll(context, prefix);
		StringBuilder body = new StringBuilder("Context " + context + " holds " + properties.size()
				+ " properties" + (prefix.isEmpty() ? "" : " under " + prefix) + ":\n");
		properties.forEach((name, value) -> body.append(name).append(" = ").append(value).append('\n'));
		return ResponseEntity.ok(body.toString());
	}

	@GetMapping(path = "/patterns/config/{context}/{property}", produces = "text/plain")
	ResponseEntity<String> property(@PathVariable String context, @PathVariable String property,
			@RequestParam(defaultValue = "java.lang.String") String type) {
		Class<?> target = TYPES.stream().filter((candidate) -> candidate.getName().equals(type)).findFirst().orElse(null);
		if (target == null) {
			return ResponseEntity.badRequest()
				.body("type must be one of " + TYPES.stream().map(Class::getName).toList() + ".\n");
		}
		try {
			return this.config.get(context, property, target)
				.map((value) -> ResponseEntity.ok(context + ": " + property + " = " + value + " (" + target.getSimpleName()
						+ ")\n"))
				.orElseGet(() -> ResponseEntity.status(HttpStatus.NOT_FOUND)
					.body(context + " does not set " + property + ".\n"));
		}
		catch (IllegalArgumentException ex) {
			return ResponseEntity.unprocessableEntity().body(ex.getMessage() + "\n");
		}
	}

	@DeleteMapping(path = "/patterns/leases/{id}", produces = "text/plain")
	ResponseEntity<String> revoke(@PathVariable String id) {
		long lease = leaseId(id);
		CloseableClient keepAlive = this.keepAlives.remove(lease);
		if (keepAlive == null) {
			return ResponseEntity.status(HttpStatus.NOT_FOUND).body("This instance keeps no lease " + id + " alive.\n");
		}
		keepAlive.close();
		this.etcd.call("revoke lease", () -> this.etcd.getClient().getLeaseClient().revoke(lease));
		return ResponseEntity.ok("Lease " + id + " revoked; its keys are gone.\n");
	}

	@GetMapping(path = "/patterns/watch", produces = "text/plain")
	ResponseEntity<String> watch(@RequestParam String prefix, @RequestParam long fromRevision)
			throws InterruptedException {
		if (WATCHABLE.stream().noneMatch(prefix::startsWith)) {
			return ResponseEntity.badRequest().body("The prefix must be under one of " + WATCHABLE + ".\n");
		}
		// the revision of now, without reading the keys
		long now = this.etcd.call("read revision", () -> this.etcd.getClient()
			.getKVClient()
			.get(Keys.bytes(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build()))
			.getHeader()
			.getRevision();
		List<String> events = new ArrayList<>();
		CountDownLatch caughtUp = new CountDownLatch(1);
		AtomicReference<String> failure = new AtomicReference<>();
		AtomicReference<HttpStatus> failureStatus = new AtomicReference<>(HttpStatus.BAD_GATEWAY);
		try (KeyWatch watch = this.etcd.watchPrefix(prefix, Math.max(1, fromRevision), new KeyWatch.Listener() {

			@Override
			public void onEvent(WatchEvent event) {
				// on the watch's thread, one event at a time, in revision order
				KeyValue kv = event.getKeyValue();
				KeyValue before = event.getPrevKV();
				synchronized (events) {
					if (events.size() < MAX_EVENTS) {
						events.add(event.getEventType() + " " + Keys.text(kv.getKey())
								+ ((event.getEventType() == WatchEvent.EventType.PUT) ? " = " + Keys.text(kv.getValue()) : "")
								+ " @" + kv.getModRevision()
								+ ((before.getVersion() != 0) ? " (was: " + Keys.text(before.getValue()) + ")" : ""));
					}
				}
				// done early when the newest change of the cluster is under the prefix
				if (kv.getModRevision() >= now) {
					caughtUp.countDown();
				}
			}

			@Override
			public void onCompacted(long compactRevision, long resumeRevision) {
				failureStatus.set(HttpStatus.GONE);
				failure.set("etcd compacted its history up to revision " + compactRevision
						+ "; read the keys again (revision " + resumeRevision + ") and watch from there");
				caughtUp.countDown();
			}

			@Override
			public void onError(EtcdAccessException ex) {
				failure.set(ex.getMessage());
				caughtUp.countDown();
			}

		})) {
			// otherwise what arrives within a second (etcd 3.4 can answer a progress request before
			// the events of a watch that still catches up, so it cannot tell when the history is done)
			caughtUp.await(1, TimeUnit.SECONDS);
		}
		if (failure.get() != null) {
			return ResponseEntity.status(failureStatus.get()).body("The watch from revision " + fromRevision
					+ " failed: " + failure.get() + "\n");
		}
		synchronized (events) {
			return ResponseEntity.ok("Changes under " + prefix + " from revision " + fromRevision + " to " + now
					+ " (as many as arrived within a second):\n"
					+ String.join("\n", events) + ((events.size() == MAX_EVENTS) ? "\n(first " + MAX_EVENTS + " only)" : "")
					+ "\n");
		}
	}

	private static long leaseId(String id) {
		try {
			return Long.parseUnsignedLong(id, 16);
		}
		catch (NumberFormatException ex) {
			throw new NotALeaseIdException("'" + id + "' is not a lease id (hexadecimal, as etcdctl shows).");
		}
	}

	@ExceptionHandler
	ResponseEntity<String> notALeaseId(NotALeaseIdException ex) {
		return ResponseEntity.badRequest().body(ex.getMessage() + "\n");
	}

	@PreDestroy
	void stopKeepAlives() {
		this.keepAlives.values().forEach(CloseableClient::close);
	}

	static class NotALeaseIdException extends RuntimeException {

		NotALeaseIdException(String message) {
			super(message);
		}

	}

}
