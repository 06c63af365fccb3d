package dev.coordination.config.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import org.jspecify.annotations.Nullable;

/**
 * The etcd connection of configuration loading, made before the application context exists from
 * the {@code coordination.etcd.*} properties , and shared by every context: all contexts are read at the revision of
 * the first read, so they are one consistent view. Closed with the bootstrap context.
 */
public final class EtcdConfigSource implements AutoCloseable {

	private final List<String> endpoints;

	private final Duration timeout;

	private final Client client;

	private final EtcdConfigState state;

	private long revision;

	// the first failure: later contexts fail at once instead of waiting for the timeout again
	private @Nullable EtcdAccessException failure;

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
		this.endpoints = endpoints;
		this.timeout = timeout;
		this.client = client;
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
	 * The keys under {@code prefix}, at the revision of the first read.
	 * @throws EtcdAccessException when etcd does not answer within the connect timeout, or refuses
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
		GetOption.Builder option = GetOption.builder().isPrefix(true);
		if (this.revision != 0) {
			option.withRevision(this.revision);
		}
		GetResponse response;
		try {
			response = this.etcd.call("read configuration " + prefix, this.timeout,
					() -> this.client.getKVClient().get(EtcdKeys.bytes(prefix), option.build()));
		}
		catch (EtcdAccessException ex) {
			this.failure = ex;
			throw ex;
		}
		if (this.revision == 0) {
			this.revision = response.getHeader().getRevision();
		}
		return response;
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
