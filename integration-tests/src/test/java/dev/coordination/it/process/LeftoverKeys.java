package dev.coordination.it.process;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.coordination.etcd.internal.EtcdKeys;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;

/**
 * Removes what killed children of an earlier test left: their keys live on until their lease
 * expires, so the leases are revoked and the keys deleted.
 */
public final class LeftoverKeys {

	private LeftoverKeys() {
	}

	/**
	 * Revoke the leases of the keys under each prefix, then delete the keys.
	 * @param client a client of the test's etcd
	 * @param prefixes the prefixes, for example {@code /locks/}
	 * @throws Exception when etcd does not answer within 5 s
	 */
	public static void remove(Client client, String... prefixes) throws Exception {
		for (String prefix : prefixes) {
			Set<Long> leases = client.getKVClient()
				.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).build())
				.get(5, TimeUnit.SECONDS)
				.getKvs()
				.stream()
				.map(KeyValue::getLease)
				.filter((lease) -> lease != 0)
				.collect(Collectors.toSet());
			for (long lease : leases) {
				client.getLeaseClient().revoke(lease).exceptionally((ex) -> null).get(5, TimeUnit.SECONDS);
			}
			client.getKVClient()
				.delete(EtcdKeys.bytes(prefix), DeleteOption.builder().isPrefix(true).build())
				.get(5, TimeUnit.SECONDS);
		}
	}

}
