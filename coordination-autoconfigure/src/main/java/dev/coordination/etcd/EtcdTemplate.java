package dev.coordination.etcd;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import dev.coordination.etcd.internal.ClientNamespace;
import dev.coordination.etcd.internal.ConnectionDiagnosis;
import dev.coordination.etcd.internal.EtcdKeyWatch;
import dev.coordination.etcd.internal.EtcdExceptionTranslator;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.WatchProgress;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Txn;
import io.etcd.jetcd.cluster.Member;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * Bounded, translated access to etcd through a jetcd {@link Client}: the one way every capability
 * of the starter talks to etcd.
 * <p>
 * jetcd has no per-call deadline and, with {@code waitForReady}, a call can stay pending forever
 * while etcd is down. Every call made here is bounded by the request timeout
 * ({@code coordination.etcd.request-timeout}) unless the caller passes another bound; failures
 * arrive as {@link EtcdAccessException} subclasses; an interrupted caller gets an
 * {@link EtcdInterruptedException} with its interrupt flag restored. A call that timed out is
 * cancelled locally, but a write may still be applied by etcd later. When the client cannot connect
 * at all, a timed-out call says so ("connecting to etcd at host:port fails: refused or unreachable"),
 * from the state of the client's connection, without another network call.
 * <p>
 * Thread-safe. Keys are UTF-8 and relative to the client's namespace.
 */
public class EtcdTemplate {

	private static final String REQUEST_TIMEOUT_PROPERTY = "coordination.etcd.request-timeout";

	private final Client client;

	private final Duration requestTimeout;

	private volatile @Nullable WatchProgress watchProgress;

	public EtcdTemplate(Client client, Duration requestTimeout) {
		Assert.notNull(client, "client must not be null");
		Assert.isTrue(requestTimeout != null && !requestTimeout.isNegative() && !requestTimeout.isZero(), "requestTimeout must be positive");
		this.client = client;
		this.requestTimeout = requestTimeout;
	}

	/**
	 * jetcd client behind this template, for what the template does not offer; bound those calls
	 * with {@link #call(String, Supplier)}.
	 * @return the client
	 */
	public Client getClient() {
		return this.client;
	}

	/**
	 * Bound applied to every call that does not give its own.
	 * @return the request timeout
	 */
	public Duration getRequestTimeout() {
		return this.requestTimeout;
	}

	/**
	 * Run a jetcd call and wait for it, bounded by the request timeout.
	 * @param <T> the result type
	 * @param operation what is being done, used in error messages
	 * @param call starts the jetcd call
	 * @return the result
	 * @throws EtcdAccessException when the call fails, times out or the thread is interrupted
	 */
	public <T> T call(String operation, Supplier<CompletableFuture<T>> call) {
		return call(operation, this.requestTimeout, REQUEST_TIMEOUT_PROPERTY, call);
	}

	/**
	 * Run a jetcd call and wait for it, bounded by {@code timeout}.
	 * @param <T> the result type
	 * @param operation what is being done, used in error messages
	 * @param timeout the bound
	 * @param call starts the jetcd call
	 * @return the result
	 * @throws EtcdAccessException when the call fails, times out or the thread is interrupted
	 */
	public <T> T call(String operation, Duration timeout, Supplier<CompletableFuture<T>> call) {
		return call(operation, timeout, null, call);
	}

	private <T> T call(String operation, Duration timeout, @Nullable String property,
			Supplier<CompletableFuture<T>> call) {
		CompletableFuture<T> future = start(operation, call);
		try {
			return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			future.cancel(true);
			String why = ConnectionDiagnosis.cannotConnect(this.client);
			throw (why != null) ? new EtcdTimeoutException(operation, timeout, property, why, ex)
					: new EtcdTimeoutException(operation, timeout, property, ex);
		}
		catch (InterruptedException ex) {
			future.cancel(true);
			throw EtcdExceptionTranslator.translate(operation, ex);
		}
		catch (ExecutionException ex) {
			throw EtcdExceptionTranslator.translate(operation, ex);
		}
	}

	/**
	 * Run a jetcd call without blocking: the returned future fails with an
	 * {@link EtcdAccessException} (wrapped in a {@code CompletionException} where the
	 * {@code CompletableFuture} API does so) when the call fails or exceeds {@code timeout}.
	 * @param <T> the result type
	 * @param operation what is being done, used in error messages
	 * @param timeout the bound
	 * @param call starts the jetcd call
	 * @return the bounded future
	 */
	public <T> CompletableFuture<T> callAsync(String operation, Duration timeout, Supplier<CompletableFuture<T>> call) {
		CompletableFuture<T> future;
		try {
			future = start(operation, call);
		}
		catch (EtcdAccessException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		CompletableFuture<T> bounded = new CompletableFuture<>();
		future.whenComplete((result, failure) -> {
			if (failure == null) {
				bounded.complete(result);
			}
			else {
				bounded.completeExceptionally(EtcdExceptionTranslator.translate(operation, failure));
			}
		});
		return bounded.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).exceptionallyCompose((failure) -> {
			if (failure instanceof TimeoutException) {
				future.cancel(true);
				// on the JDK's delay thread: the channel's state only, no probe
				String why = ConnectionDiagnosis.cannotConnect(this.client);
				return CompletableFuture.failedFuture((why != null)
						? new EtcdTimeoutException(operation, timeout, null, why, failure)
						: new EtcdTimeoutException(operation, timeout, failure));
			}
			return CompletableFuture.failedFuture(EtcdExceptionTranslator.translate(operation, failure));
		});
	}

	/**
	 * Read one key.
	 * @param key the key
	 * @return its current value, or empty when it does not exist
	 */
	public Optional<KeyValue> get(String key) {
		GetResponse response = call("get " + key, () -> this.client.getKVClient().get(EtcdKeys.bytes(key)));
		return response.getKvs().stream().findFirst();
	}

	/**
	 * Read every key under a prefix at one revision (the response header's revision).
	 * @param prefix the prefix
	 * @return the response with the keys and the revision they were read at
	 */
	public GetResponse getPrefix(String prefix) {
		return call("get prefix " + prefix, () -> this.client.getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).build()));
	}

	/**
	 * Write a key.
	 * @param key the key
	 * @param value the value, UTF-8
	 * @return the response, whose header holds the revision of the write
	 */
	public PutResponse put(String key, String value) {
		return call("put " + key, () -> this.client.getKVClient().put(EtcdKeys.bytes(key), EtcdKeys.bytes(value)));
	}

	/**
	 * Write a key attached to a lease: etcd deletes it when the lease ends.
	 * @param key the key
	 * @param value the value, UTF-8
	 * @param leaseId the lease
	 * @return the response, whose header holds the revision of the write
	 */
	public PutResponse put(String key, String value, long leaseId) {
		return call("put " + key, () -> this.client.getKVClient()
			.put(EtcdKeys.bytes(key), EtcdKeys.bytes(value), PutOption.builder().withLeaseId(leaseId).build()));
	}

	/**
	 * Delete a key.
	 * @param key the key
	 * @return how many keys were deleted (0 or 1)
	 */
	public long delete(String key) {
		DeleteResponse response = call("delete " + key,
				() -> this.client.getKVClient().delete(EtcdKeys.bytes(key)));
		return response.getDeleted();
	}

	/**
	 * Delete every key under a prefix.
	 * @param prefix the prefix
	 * @return how many keys were deleted
	 */
	public long deletePrefix(String prefix) {
		DeleteResponse response = call("delete prefix " + prefix, () -> this.client.getKVClient()
			.delete(EtcdKeys.bytes(prefix), DeleteOption.builder().isPrefix(true).build()));
		return response.getDeleted();
	}

	/**
	 * Delete a key only while its create revision is still {@code createRevision}: the release of a
	 * lock or election key, which must not delete a newer key of the same name. It runs even when the
	 * calling thread's interrupt flag is set (a cancelled task must still release what it held); the
	 * flag is restored afterwards.
	 * @param key the key
	 * @param createRevision the create revision the key was acquired with
	 * @return whether the key was deleted
	 * @throws EtcdAccessException when etcd did not answer
	 */
	public boolean deleteIfCreatedAt(String key, long createRevision) {
		boolean interrupted = Thread.interrupted();
		try {
			return txn("delete " + key + " created at " + createRevision, (txn) -> txn
				.If(new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision)))
				.Then(Op.delete(EtcdKeys.bytes(key), DeleteOption.DEFAULT))).isSucceeded();
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * Run a transaction only while {@code key} still exists with the create revision
	 * {@code createRevision}: a write fenced by a lock or election hold, which a holder that lost the
	 * key can no longer apply. The compare is added before the ones {@code transaction} adds.
	 * @param key the key of the hold
	 * @param createRevision its create revision: the fencing token
	 * @param transaction fills in further compares, and the Then / Else parts
	 * @return the response; {@link TxnResponse#isSucceeded()} is {@code false} when the key is gone or
	 * newer, or when a compare of {@code transaction} failed
	 */
	public TxnResponse txnIfCreatedAt(String key, long createRevision, UnaryOperator<Txn> transaction) {
		return txn("transaction fenced by " + key + " created at " + createRevision, (txn) -> transaction
			.apply(txn.If(new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision)))));
	}

	/**
	 * Apply {@code write} only while {@code key} still exists with the create revision
	 * {@code createRevision}: the write of a lock, permit or leadership hold, which a holder that
	 * lost the key can no longer apply. One transaction.
	 * @param key the key of the hold
	 * @param createRevision its create revision: the fencing token
	 * @param write the writes and the caller's conditions
	 * @return whether it was applied, and whether the hold still existed
	 * @throws EtcdAccessException when etcd did not answer; the write may still be applied later
	 */
	public WriteResult fencedWrite(String key, long createRevision, FencedWrite write) {
		Assert.notNull(write, "write must not be null");
		ByteSequence hold = EtcdKeys.bytes(key);
		List<Cmp> compares = new ArrayList<>();
		compares.add(new Cmp(hold, Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision)));
		for (FencedWrite.Condition condition : write.conditions()) {
			ByteSequence conditionKey = EtcdKeys.bytes(condition.key());
			compares.add(switch (condition.kind()) {
				case VALUE -> {
					String value = condition.value();
					Assert.state(value != null, "A value condition of a fenced write has no value");
					yield new Cmp(conditionKey, Cmp.Op.EQUAL, CmpTarget.value(EtcdKeys.bytes(value)));
				}
				case ABSENT -> new Cmp(conditionKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0));
				case MOD_REVISION -> new Cmp(conditionKey, Cmp.Op.EQUAL, CmpTarget.modRevision(condition.modRevision()));
			});
		}
		Op[] operations = write.operations()
			.stream()
			.map((operation) -> (operation.value() != null)
					? Op.put(EtcdKeys.bytes(operation.key()), EtcdKeys.bytes(operation.value()), PutOption.DEFAULT)
					: Op.delete(EtcdKeys.bytes(operation.key()), DeleteOption.DEFAULT))
			.toArray(Op[]::new);
		// when it fails, the hold key tells whether the fence or a condition of the caller's failed
		TxnResponse response = txn(write + " fenced by " + key + " created at " + createRevision,
				(txn) -> txn.If(compares.toArray(Cmp[]::new))
					.Then(operations)
					.Else(Op.get(hold, GetOption.builder().withKeysOnly(true).build())));
		long revision = response.getHeader().getRevision();
		if (response.isSucceeded()) {
			return new WriteResult(true, true, revision);
		}
		boolean holdExists = response.getGetResponses()
			.stream()
			.flatMap((get) -> get.getKvs().stream())
			.anyMatch((kv) -> kv.getCreateRevision() == createRevision);
		return new WriteResult(false, holdExists, revision);
	}

	/**
	 * Run a transaction built by {@code transaction}.
	 * @param operation what the transaction does, used in error messages
	 * @param transaction fills in the If / Then / Else parts
	 * @return the response; {@link TxnResponse#isSucceeded()} tells which branch ran
	 */
	public TxnResponse txn(String operation, UnaryOperator<Txn> transaction) {
		return call(operation, () -> transaction.apply(this.client.getKVClient().txn()).commit());
	}

	/**
	 * Watch one key from a revision on, with the value each change replaced. The watch runs until
	 * {@link KeyWatch#close() closed}; it rides out transport errors and etcd restarts without losing
	 * or repeating a change, and reports a compaction of the history it needed
	 * ({@link KeyWatch.Listener#onCompacted}). The listener runs on the watch's own thread, one call
	 * at a time, in revision order. Does not wait for etcd.
	 * @param key the key
	 * @param fromRevision the revision of the first change to deliver (an older one replays the
	 * history kept since, until compaction), or 0 for the changes after now
	 * @param listener what to call
	 * @return the running watch
	 * @throws IllegalArgumentException when {@code fromRevision} is negative
	 */
	public KeyWatch watch(String key, long fromRevision, KeyWatch.Listener listener) {
		return watch(key, false, fromRevision, listener);
	}

	/**
	 * Watch every key under a prefix from a revision on, with the value each change replaced; as
	 * {@link #watch(String, long, KeyWatch.Listener)} otherwise.
	 * @param prefix the prefix
	 * @param fromRevision the revision of the first change to deliver, or 0 for the changes after now
	 * @param listener what to call
	 * @return the running watch
	 * @throws IllegalArgumentException when {@code fromRevision} is negative
	 */
	public KeyWatch watchPrefix(String prefix, long fromRevision, KeyWatch.Listener listener) {
		return watch(prefix, true, fromRevision, listener);
	}

	private KeyWatch watch(String key, boolean prefix, long fromRevision, KeyWatch.Listener listener) {
		String what = prefix ? "prefix" : "key";
		Assert.hasLength(key, () -> what + " must not be empty");
		Assert.notNull(listener, "listener must not be null");
		Assert.isTrue(fromRevision >= 0, () -> "fromRevision must be 0 (the changes after now) or a revision (1 or more), was "
				+ fromRevision);
		return EtcdKeyWatch.start(this, key, prefix, fromRevision, watchProgress(), listener);
	}

	private WatchProgress watchProgress() {
		WatchProgress progress = this.watchProgress;
		if (progress == null) {
			synchronized (this) {
				progress = this.watchProgress;
				if (progress == null) {
					progress = WatchProgress.onRequest(this);
					this.watchProgress = progress;
				}
			}
		}
		return progress;
	}

	/**
	 * Status of one member: version, database size, leader and raft term.
	 * @param endpoint the member's client endpoint
	 * @param timeout the bound
	 * @return a future of the status, failing with an {@link EtcdAccessException}
	 */
	public CompletableFuture<StatusResponse> status(URI endpoint, Duration timeout) {
		String target = endpoint.getHost() + ":" + endpoint.getPort();
		return callAsync("status " + endpoint, timeout,
				() -> this.client.getMaintenanceClient().statusMember(target));
	}

	/**
	 * Check that the cluster answers a linearizable request within {@code timeout}.
	 * @param timeout the bound
	 * @return the members of the cluster
	 * @throws EtcdAccessException when it does not
	 */
	public List<Member> members(Duration timeout) {
		return call("list members", timeout, () -> this.client.getClusterClient().listMember()).getMembers();
	}

	/**
	 * Read a lease as etcd sees it: its remaining and granted TTL and the keys attached to it, in
	 * one {@code TimeToLive} request, bounded by the request timeout.
	 * @param leaseId the lease
	 * @return the lease's status
	 * @throws EtcdNotFoundException when etcd does not know the lease: it expired or was revoked
	 * (or was never granted)
	 * @throws EtcdAccessException when etcd did not answer
	 */
	public LeaseStatus leaseStatus(long leaseId) {
		return leaseStatus(leaseId, this.requestTimeout, REQUEST_TIMEOUT_PROPERTY);
	}

	/**
	 * Read a lease as etcd sees it, as {@link #leaseStatus(long)} does, bounded by {@code timeout}.
	 * @param leaseId the lease
	 * @param timeout the bound
	 * @return the lease's status
	 * @throws EtcdNotFoundException when etcd does not know the lease: it expired or was revoked
	 * (or was never granted)
	 * @throws EtcdAccessException when etcd did not answer
	 * @throws IllegalArgumentException when the timeout is not positive
	 */
	public LeaseStatus leaseStatus(long leaseId, Duration timeout) {
		Assert.isTrue(timeout != null && timeout.compareTo(Duration.ZERO) > 0,
				() -> "The timeout of leaseStatus must be positive, was " + timeout);
		return leaseStatus(leaseId, timeout, null);
	}

	private LeaseStatus leaseStatus(long leaseId, Duration timeout, @Nullable String property) {
		String lease = EtcdKeys.leaseHex(leaseId);
		String operation = "time-to-live of lease " + lease;
		LeaseTimeToLiveResponse response;
		try {
			response = call(operation, timeout, property, () -> this.client.getLeaseClient()
				.timeToLive(leaseId, LeaseOption.builder().withAttachedKeys().build()));
		}
		catch (EtcdNotFoundException ex) {
			throw leaseNotFound(operation, lease, ex);
		}
		// etcd answers TTL -1, not an error, for a lease it does not know
		if (response.getTTL() < 0) {
			throw leaseNotFound(operation, lease, null);
		}
		// jetcd leaves the namespace on these keys; a key outside it is not this client's to name
		ByteSequence namespace = ClientNamespace.of(this.client);
		List<String> keys = response.getKeys()
			.stream()
			.filter((key) -> key.startsWith(namespace))
			.map((key) -> EtcdKeys.string(key.substring(namespace.size())))
			.sorted()
			.toList();
		return new LeaseStatus(leaseId, Duration.ofSeconds(response.getTTL()),
				Duration.ofSeconds(response.getGrantedTTL()), keys);
	}

	private static EtcdNotFoundException leaseNotFound(String operation, String lease, @Nullable Throwable cause) {
		return new EtcdNotFoundException(operation,
				"etcd has no lease " + lease + "; it expired or was revoked (or was never granted)", cause);
	}

	private <T> CompletableFuture<T> start(String operation, Supplier<CompletableFuture<T>> call) {
		try {
			CompletableFuture<T> future = call.get();
			Assert.state(future != null, () -> "jetcd returned no future for " + operation);
			return future;
		}
		catch (RuntimeException ex) {
			throw EtcdExceptionTranslator.translate(operation, ex);
		}
	}

}
