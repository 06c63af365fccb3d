package dev.coordination.config;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;

import org.springframework.boot.context.properties.bind.Binder;

/**
 * The etcd connection of configuration loading, made before the application context exists from
 * {@code coordination.etcd.endpoints}, {@code username}, {@code password} and
 * {@code connect-timeout}, and shared by every context: all contexts are read at the revision of
 * the first read, so they are one consistent view. Closed with the bootstrap context.
 */
final class EtcdConfigSource implements AutoCloseable {

	private final List<String> endpoints;

	private final Duration timeout;

	private final Client client;

	private long revision;

	private EtcdConfigSource(List<String> endpoints, Duration timeout, Client client) {
		this.endpoints = endpoints;
		this.timeout = timeout;
		this.client = client;
	}

	static EtcdConfigSource from(Binder binder) {
		List<String> endpoints = binder.bind("coordination.etcd.endpoints", String[].class)
			.map(List::of)
			.orElse(List.of("http://127.0.0.1:2379"));
		Duration timeout = binder.bind("coordination.etcd.connect-timeout", Duration.class).orElse(Duration.ofSeconds(5));
		io.etcd.jetcd.ClientBuilder builder = Client.builder().endpoints(endpoints.toArray(String[]::new));
		binder.bind("coordination.etcd.username", String.class)
			.ifBound((user) -> builder.user(ByteSequence.from(user, java.nio.charset.StandardCharsets.UTF_8)));
		binder.bind("coordination.etcd.password", String.class)
			.ifBound((password) -> builder.password(ByteSequence.from(password, java.nio.charset.StandardCharsets.UTF_8)));
		return new EtcdConfigSource(endpoints, timeout, builder.build());
	}

	List<String> endpoints() {
		return this.endpoints;
	}

	Duration timeout() {
		return this.timeout;
	}

	/**
	 * The keys under {@code prefix}, at the revision of the first read.
	 * @throws Exception when etcd does not answer within the connect timeout
	 */
	synchronized GetResponse read(String prefix) throws Exception {
		GetOption.Builder option = GetOption.builder().isPrefix(true);
		if (this.revision != 0) {
			option.withRevision(this.revision);
		}
		GetResponse response = this.client.getKVClient()
			.get(ByteSequence.from(prefix, java.nio.charset.StandardCharsets.UTF_8), option.build())
			.get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
		if (this.revision == 0) {
			this.revision = response.getHeader().getRevision();
		}
		return response;
	}

	synchronized long revision() {
		return this.revision;
	}

	@Override
	public void close() {
		this.client.close();
	}

}
