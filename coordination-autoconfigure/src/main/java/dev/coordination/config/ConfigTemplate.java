package dev.coordination.config;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Writes the configuration that applications import with {@code spring.config.import=etcd:}: the
 * properties of a context, whole documents, and named snapshots of everything under the
 * configuration prefix ({@code coordination.etcd.config.prefix}) that can be restored in one step.
 * <p>
 * Every write checks its input before anything is sent and is one etcd transaction: it applies
 * whole or not at all, and every watching application sees it at one revision. Failures of etcd
 * itself come as {@link dev.coordination.etcd.EtcdAccessException}. Thread-safe.
 */
public interface ConfigTemplate {

	/**
	 * Set a property in one context, one key per property.
	 * @param context the context, for example {@code orders}, {@code orders,dev} or
	 * {@code application}
	 * @param property the property in its canonical form, for example {@code database.host}
	 * @param value its value
	 * @return the etcd revision of the write
	 * @throws IllegalArgumentException when the context or property name is not valid; nothing is
	 * written
	 */
	long put(String context, String property, String value);

	/**
	 * Set several properties of one context in one transaction.
	 * @param context the context
	 * @param properties the properties in their canonical form, and their values
	 * @return the etcd revision of the write
	 * @throws IllegalArgumentException when a name or a value is not valid, or the values are more
	 * than etcd takes in one request; nothing is written
	 */
	long putAll(String context, Map<String, String> properties);

	/**
	 * Delete a property of one context, so that a lower-precedence value or the default applies
	 * again.
	 * @param context the context
	 * @param property the property
	 * @return whether it existed
	 */
	boolean delete(String context, String property);

	/**
	 * Store a whole YAML or properties document in a context's data key, once it parses.
	 * @param context the context
	 * @param dataKey the data key ({@code coordination.etcd.config.data-key}, {@code data} by
	 * default)
	 * @param format {@code yaml} or {@code properties}
	 * @param document the document
	 * @return the etcd revision of the write
	 * @throws IllegalArgumentException when the format is unknown, the document does not parse or
	 * is more than etcd takes in one request; nothing is written
	 */
	long putDocument(String context, String dataKey, String format, String document);

	/**
	 * Save everything under the configuration prefix, read at one revision, as a named snapshot,
	 * replacing a snapshot of that name.
	 * @param name the snapshot's name
	 * @return the snapshot
	 * @throws IllegalStateException when it takes more operations than etcd allows in one
	 * transaction, or the snapshot kept changing while it was saved
	 */
	Snapshot save(String name);

	/**
	 * Make everything under the configuration prefix exactly a snapshot, in one transaction.
	 * @param name the snapshot's name
	 * @return the etcd revision of the restored configuration
	 * @throws IllegalArgumentException when there is no such snapshot
	 * @throws IllegalStateException when it takes more operations than etcd allows in one
	 * transaction, or the configuration kept changing while it was restored
	 */
	long restore(String name);

	/**
	 * The saved snapshots.
	 * @return them, by name
	 */
	List<Snapshot> snapshots();

	/**
	 * Delete a snapshot.
	 * @param name its name
	 * @return whether it existed
	 */
	boolean deleteSnapshot(String name);

	/**
	 * A saved snapshot of the configuration.
	 * @param name its name
	 * @param revision the etcd revision of the configuration it holds
	 * @param keys how many keys it holds
	 * @param savedAt when it was saved
	 */
	record Snapshot(String name, long revision, int keys, Instant savedAt) {

	}

}
