package dev.coordination.config;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads and writes the configuration that applications import with
 * {@code spring.config.import=etcd:}: the properties of a context, whole documents, and named
 * snapshots of everything under the configuration prefix ({@code coordination.etcd.config.prefix})
 * that can be restored in one step.
 * <p>
 * Every write checks its input before anything is sent and is one etcd transaction: it applies
 * whole or not at all, and every watching application sees it at one revision. Every read is one
 * range read of one context, so what it returns is the context at one revision, with the values an
 * application importing that context alone would see (the format and data key of
 * {@code coordination.etcd.config.*} apply). Reads do not merge contexts: for the value an
 * application actually uses, with its profiles and every other property source, read its
 * {@link org.springframework.core.env.Environment}. Failures of etcd itself come as
 * {@link dev.coordination.etcd.EtcdAccessException}. Thread-safe.
 */
public interface ConfigTemplate {

	/**
	 * The value of a property in one context, as an application importing that context sees it:
	 * from the property's key ({@code {prefix}/{context}/database/host} for {@code database.host}),
	 * or from the context's document when the format is {@code yaml} or {@code properties}. Names
	 * match as in Boot's relaxed binding: {@code database.max-size} finds a key
	 * {@code database/maxSize}.
	 * @param context the context, for example {@code orders}, {@code orders,dev} or
	 * {@code application}
	 * @param property the property in its canonical form, for example {@code database.host}
	 * @return its value, or empty when the context does not set it
	 * @throws IllegalArgumentException when the context or property name is not valid; nothing is
	 * read
	 * @throws IllegalStateException when the context's document or a value cannot be read (not
	 * UTF-8, a document that does not parse), as the import would fail on it
	 */
	default Optional<String> get(String context, String property) {
		return get(context, property, String.class);
	}

	/**
	 * The value of a property in one context, converted as Spring Boot converts configuration
	 * ({@code ApplicationConversionService}): numbers, {@code true}/{@code false} (also
	 * {@code on}/{@code off}, {@code yes}/{@code no}), durations ({@code 10s}, {@code 500ms},
	 * {@code PT1M}), data sizes ({@code 10MB}), enums (case and {@code -}/{@code _} ignored, as
	 * in {@code @ConfigurationProperties}), and any type with a {@code String} constructor or
	 * {@code valueOf}. An empty value of a type that has no empty value, a number for example,
	 * counts as absent, as in {@code Environment.getProperty}.
	 * @param <T> the type
	 * @param context the context
	 * @param property the property in its canonical form
	 * @param type the type to convert the value to, for example {@code Duration.class} or
	 * {@code int.class}
	 * @return the converted value, or empty when the context does not set it
	 * @throws IllegalArgumentException when the context or property name is not valid, when values
	 * cannot be converted to the type at all, or when the value does not convert to it: the message
	 * names the context, the property, its key and the type, and the value unless the name looks
	 * like that of a secret (it ends with {@code password}, {@code secret}, {@code key},
	 * {@code token}, {@code url} or {@code uri}, or contains {@code credential} or
	 * {@code private}); the cause is the conversion failure
	 * @throws IllegalStateException when the context's document or a value cannot be read
	 */
	<T> Optional<T> get(String context, String property, Class<T> type);

	/**
	 * The value of a property in one context, converted as {@link #get(String, String, Class)}
	 * does, or a default when the context does not set it. A value that is set but does not convert
	 * is an error, not the default.
	 * @param <T> the type
	 * @param context the context
	 * @param property the property in its canonical form
	 * @param type the type to convert the value to
	 * @param defaultValue the value when the context does not set the property
	 * @return the converted value, or the default
	 * @throws IllegalArgumentException when a name is not valid or the value does not convert, as
	 * {@link #get(String, String, Class)} explains
	 * @throws IllegalStateException when the context's document or a value cannot be read
	 */
	default <T> T get(String context, String property, Class<T> type, T defaultValue) {
		return get(context, property, type).orElse(defaultValue);
	}

	/**
	 * Every property of one context, read at one revision, as an application importing that
	 * context sees them.
	 * @param context the context
	 * @return the properties by canonical name ({@code database.max-size}, {@code servers[0]}),
	 * sorted by name, values as text; unmodifiable
	 * @throws IllegalArgumentException when the context name is not valid
	 * @throws IllegalStateException when the context's document or a value cannot be read
	 */
	default Map<String, String> getAll(String context) {
		return getAll(context, "");
	}

	/**
	 * The properties of one context under a name, read at one revision, as an application
	 * importing that context sees them: {@code database} gives {@code database},
	 * {@code database.host} and {@code database.pool.max-size}, not {@code databases.url}.
	 * @param context the context
	 * @param propertyPrefix a property name in its canonical form, for example {@code database}
	 * (a trailing {@code .} is ignored); empty for every property
	 * @return the properties by canonical name, sorted by name, values as text; unmodifiable
	 * @throws IllegalArgumentException when the context name or the prefix is not valid
	 * @throws IllegalStateException when the context's document or a value cannot be read
	 */
	Map<String, String> getAll(String context, String propertyPrefix);

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
