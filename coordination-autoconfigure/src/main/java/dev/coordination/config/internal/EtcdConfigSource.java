package dev.coordination.config.internal;

import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdEndpointProbe;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.EtcdStartupCheck;
import dev.coordination.etcd.internal.EtcdStartupException;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * The etcd connection of configuration loading, made before the application context exists from
 * the {@code coordination.etcd.*} properties, and shared by every context: the contexts an import
 * resolves are read in one transaction, and any read later (an import found in a later document)
 * at that transaction's revision, so they are one consistent view, from which the watch continues.
 * Closed with the bootstrap context.
 */
public final class EtcdConfigSource implements AutoCloseable {

	// etcd takes at most 128 operations in a transaction by default (--max-txn-ops)
	private static final int MAX_READS_PER_TRANSACTION = 64;

	private final List<String> endpoints;

	private final Duration timeout;

	private final Client client;

	private final EtcdConfigState state;

	private long revision;

	// contexts announced and not read yet, and what was read, by key prefix
	private final Set<String> expected = new LinkedHashSet<>();

	private final Map<String, GetResponse> read = new HashMap<>();

	// the first failure: later contexts fail at once instead of waiting for the timeout again
	private @Nullable RuntimeException failure;

	// whether the failure was reported (logged, or kept to fail start-up)
	private boolean failureReported;

	private final EtcdStartupCheck startupCheck;

	private @Nullable RuntimeException requiredFailure;

	private boolean requiredFailureThrown;

	private final EtcdTemplate etcd;

	// a reload that Spring Cloud starts itself uses a bootstrap context that nobody closes
	private @Nullable CompletableFuture<Void> idleClose;

	private boolean closed;

	/**
	 * Create the source.
	 * @param endpoints the endpoints, for messages
	 * @param timeout the bound of every read
	 * @param client the bootstrap client, closed with this source
	 */
	public EtcdConfigSource(List<String> endpoints, Duration timeout, Client client) {
		this(endpoints, timeout, client, new EtcdStartupCheck(endpoints.stream().map(URI::create).toList(), timeout,
				Duration.ZERO, new EtcdEndpointProbe(null, null), null, null));
	}

	/**
	 * Create the source.
	 * @param endpoints the endpoints, for messages
	 * @param timeout the bound of every read
	 * @param client the bootstrap client, closed with this source
	 * @param startupCheck how reads are tried again at start-up and explained when they fail
	 */
	public EtcdConfigSource(List<String> endpoints, Duration timeout, Client client, EtcdStartupCheck startupCheck) {
		this.endpoints = endpoints;
		this.timeout = timeout;
		this.client = client;
		this.startupCheck = startupCheck;
		this.etcd = new EtcdTemplate(client, timeout);
		this.state = new EtcdConfigState();
	}

	/**
	 * Whether the bootstrap context closed: the application context owns the configuration now.
	 */
	synchronized boolean isClosed() {
		return this.closed;
	}

	/**
	 * What was imported.
	 * @return the state
	 */
	public EtcdConfigState state() {
		return this.state;
	}

	List<String> endpoints() {
		return this.endpoints;
	}

	Duration timeout() {
		return this.timeout;
	}

	/**
	 * Announce the contexts an import is about to load, so that the first {@link #read} reads them
	 * all in one transaction.
	 * @param prefixes the contexts' key prefixes
	 */
	public synchronized void expect(Collection<String> prefixes) {
		prefixes.stream().filter((prefix) -> !this.read.containsKey(prefix)).forEach(this.expected::add);
	}

	/**
	 * The keys under {@code prefix}, at the revision of the first read. Read together with every
	 * context {@linkplain #expect expected} and not read yet: one transaction of range reads, so one
	 * round trip and one revision for all of them.
	 * @throws EtcdStartupException when etcd does not answer within the connect timeout plus the
	 * start-up grace, or refuses, saying what etcd did
	 */
	synchronized GetResponse read(String prefix) {
		if (this.failure != null) {
			throw this.failure;
		}
		if (this.idleClose != null) {
			this.idleClose.cancel(false);
		}
		// closed a minute after the last read unless the bootstrap context closes it first
		this.idleClose = CompletableFuture.runAsync(this::close, CompletableFuture.delayedExecutor(1, TimeUnit.MINUTES));
		GetResponse read = this.read.get(prefix);
		if (read != null) {
			return read;
		}
		Set<String> batch = new LinkedHashSet<>();
		batch.add(prefix);
		batch.addAll(this.expected);
		this.expected.clear();
		try {
			readAll(List.copyOf(batch));
		}
		catch (EtcdStartupException | EtcdAccessException ex) {
			this.failure = ex;
			throw ex;
		}
		read = this.read.get(prefix);
		Assert.state(read != null, () -> "etcd did not answer the read of " + prefix);
		return read;
	}

	private void readAll(List<String> prefixes) {
		// more contexts than one transaction takes: later chunks read at the first one's revision
		for (int from = 0; from < prefixes.size(); from += MAX_READS_PER_TRANSACTION) {
			List<String> chunk = prefixes.subList(from, Math.min(prefixes.size(), from + MAX_READS_PER_TRANSACTION));
			GetOption.Builder option = GetOption.builder().isPrefix(true);
			if (this.revision != 0) {
				option.withRevision(this.revision);
			}
			Op[] reads = chunk.stream().map((prefix) -> Op.get(EtcdKeys.bytes(prefix), option.build())).toArray(Op[]::new);
			String what = "Reading configuration " + ((chunk.size() == 1) ? "context " : "contexts ")
					+ String.join(", ", chunk) + " from etcd (spring.config.import)";
			TxnResponse response = this.startupCheck.call(what, "or import it with optional:etcd: to start without it",
					(bound) -> this.etcd.call("read configuration " + chunk, bound,
							() -> this.client.getKVClient().txn().Then(reads).commit()));
			if (this.revision == 0) {
				this.revision = response.getHeader().getRevision();
			}
			List<GetResponse> responses = response.getGetResponses();
			for (int i = 0; i < chunk.size(); i++) {
				this.read.put(chunk.get(i), responses.get(i));
			}
		}
	}

	/**
	 * Whether {@code failure} is yet to be reported: {@code true} once per failure, however many
	 * contexts it failed.
	 * @param failure what {@link #read} threw
	 * @return whether to report it
	 */
	synchronized boolean report(RuntimeException failure) {
		if (this.failureReported && failure == this.failure) {
			return false;
		}
		this.failureReported = true;
		return true;
	}

	/**
	 * The failure of a required import, kept so that start-up fails once logging is set up (see
	 * {@code EtcdConfigImportFailureListener}) and Spring Boot's failure report shows it.
	 * @return the failure, or {@code null}
	 */
	public synchronized @Nullable RuntimeException requiredFailure() {
		return this.requiredFailure;
	}

	/**
	 * Throw the failure of a required import, once.
	 * @throws RuntimeException the failure, if there is one not thrown yet
	 */
	public void throwRequiredFailure() {
		RuntimeException failure;
		synchronized (this) {
			failure = this.requiredFailureThrown ? null : this.requiredFailure;
			this.requiredFailureThrown = true;
		}
		if (failure != null) {
			throw failure;
		}
	}

	synchronized void failRequired(RuntimeException failure) {
		if (this.requiredFailure == null) {
			this.requiredFailure = failure;
		}
	}

	synchronized long revision() {
		return this.revision;
	}

	@Override
	public synchronized void close() {
		if (!this.closed) {
			this.closed = true;
			this.client.close();
		}
	}

}
