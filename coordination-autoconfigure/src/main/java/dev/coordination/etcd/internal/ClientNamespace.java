package dev.coordination.etcd.internal;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;

/**
 * The namespace a jetcd client puts before every key ({@code coordination.etcd.namespace}), for
 * the answers in which jetcd leaves it: jetcd 0.8.7 takes it off the keys of KV and Watch answers,
 * but not off the keys a lease's {@code TimeToLive} lists. Read from the builder the client was
 * built from, by reflection as {@link ConnectionDiagnosis} does.
 */
public final class ClientNamespace {

	private ClientNamespace() {
	}

	/**
	 * Namespace of {@code client}.
	 * @param client the client
	 * @return its namespace, {@link ByteSequence#EMPTY} when it has none or it cannot be read (a
	 * client not built by jetcd's {@link ClientBuilder})
	 */
	public static ByteSequence of(Client client) {
		ClientBuilder builder = ConnectionDiagnosis.builder(client);
		ByteSequence namespace = (builder != null) ? builder.namespace() : null;
		return (namespace != null) ? namespace : ByteSequence.EMPTY;
	}

}
