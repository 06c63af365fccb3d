package dev.coordination.config.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.coordination.etcd.internal.EtcdKeys;
import io.etcd.jetcd.KeyValue;

import org.springframework.boot.env.PropertiesPropertySourceLoader;
import org.springframework.boot.env.PropertySourceLoader;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;

/**
 * The parser of configuration contexts: turns the keys of one context into properties, one key per
 * property ({@code {context}/database/host} is {@code database.host}), or one YAML or properties
 * document in the context's data key.
 * <p>
 * Values are text, as the key-value format gives them; of a YAML file with several documents the
 * later wins, as in Boot. Values must be UTF-8: other bytes are refused rather than turned into
 * replacement characters. A value or document that cannot be read fails with an
 * {@link InvalidConfigDocumentException} naming its key and revision. Stateless.
 */
final class ConfigDocuments {

	/**
	 * The formats a context can have.
	 */
	static final List<String> FORMATS = List.of("key-value", "yaml", "properties");

	private ConfigDocuments() {
	}

	/**
	 * The properties of a context.
	 * @param context the context
	 * @param kvs its keys (keys of other contexts are ignored)
	 * @return the properties, in key order
	 * @throws InvalidConfigDocumentException when a value or the context's document cannot be read
	 * @throws IllegalArgumentException when the context's format is not one of {@link #FORMATS}
	 */
	static Map<String, Object> properties(EtcdConfigDataResource context, Collection<KeyValue> kvs) {
		if (!FORMATS.contains(context.getFormat())) {
			throw new IllegalArgumentException(
					"Unknown configuration format '" + context.getFormat() + "': must be one of " + FORMATS);
		}
		Map<String, Object> properties = new LinkedHashMap<>();
		String path = context.getPath();
		if ("key-value".equals(context.getFormat())) {
			for (KeyValue kv : kvs) {
				String key = EtcdKeys.string(kv.getKey());
				if (key.startsWith(path) && key.length() > path.length()) {
					properties.put(propertyName(path, key), text(kv));
				}
			}
			return properties;
		}
		String dataKey = path + context.getDataKey();
		for (KeyValue kv : kvs) {
			if (EtcdKeys.string(kv.getKey()).equals(dataKey)) {
				properties.putAll(document(context.getFormat(), dataKey, kv.getModRevision(), text(kv)));
			}
		}
		return properties;
	}

	/**
	 * The key each property of {@link #properties(EtcdConfigDataResource, Collection)} comes from:
	 * its own key, or the context's data key.
	 * @param context the context
	 * @param kvs its keys, as given to {@code properties}
	 * @param property a property name as {@code properties} gives it
	 * @return the key
	 */
	static String key(EtcdConfigDataResource context, Collection<KeyValue> kvs, String property) {
		String path = context.getPath();
		if (!"key-value".equals(context.getFormat())) {
			return path + context.getDataKey();
		}
		String found = path + property.replace('.', '/');
		for (KeyValue kv : kvs) {
			String key = EtcdKeys.string(kv.getKey());
			// the last key of a name wins, as in properties(...)
			if (key.startsWith(path) && key.length() > path.length() && propertyName(path, key).equals(property)) {
				found = key;
			}
		}
		return found;
	}

	private static String propertyName(String path, String key) {
		return key.substring(path.length()).replace('/', '.');
	}

	/**
	 * The value of a key as text, strictly: bytes that are not UTF-8 are refused rather than turned
	 * into replacement characters.
	 * @throws InvalidConfigDocumentException when they are not UTF-8
	 */
	private static String text(KeyValue kv) {
		try {
			return StandardCharsets.UTF_8.newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT)
				.decode(ByteBuffer.wrap(kv.getValue().getBytes()))
				.toString();
		}
		catch (CharacterCodingException ex) {
			String key = EtcdKeys.string(kv.getKey());
			throw new InvalidConfigDocumentException(key, kv.getModRevision(), "The value at " + key + " (revision "
					+ kv.getModRevision() + ") is not valid UTF-8; configuration in etcd must be UTF-8 text.", ex);
		}
	}

	/**
	 * The properties of one YAML or properties document.
	 * @param format {@code yaml} or {@code properties}
	 * @param key the key of the document, for messages
	 * @param revision the revision of the document, for messages; 0 when it is not in etcd yet
	 * @param text the document
	 * @return the properties, in document order
	 * @throws InvalidConfigDocumentException when it cannot be read
	 * @throws IllegalArgumentException when the format is neither
	 */
	static Map<String, Object> document(String format, String key, long revision, String text) {
		PropertySourceLoader loader = loader(format);
		Map<String, Object> properties = new LinkedHashMap<>();
		try {
			for (PropertySource<?> source : loader.load(key, new ByteArrayResource(EtcdKeys.bytes(text).getBytes(), key))) {
				if (source instanceof EnumerablePropertySource<?> enumerable) {
					for (String name : enumerable.getPropertyNames()) {
						Object value = enumerable.getProperty(name);
						// values as text, like the key-value format; a later document of a YAML file wins, as in Boot
						properties.put(name, (value != null) ? value.toString() : "");
					}
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			throw new InvalidConfigDocumentException(key, revision, "The " + format + " document at " + key
					+ ((revision > 0) ? " (revision " + revision + ")" : "") + " cannot be read: " + ex.getMessage()
					+ ". Fix it in etcd, or set coordination.etcd.config.format to how it is stored.", ex);
		}
		return properties;
	}

	private static PropertySourceLoader loader(String format) {
		return switch (format) {
			case "properties" -> new PropertiesPropertySourceLoader();
			case "yaml" -> new YamlPropertySourceLoader();
			default -> throw new IllegalArgumentException(
					"Unknown document format '" + format + "': must be yaml or properties");
		};
	}

	/**
	 * A configuration value or document in etcd that cannot be read.
	 */
	static final class InvalidConfigDocumentException extends IllegalStateException {

		private final String key;

		private final long revision;

		InvalidConfigDocumentException(String key, long revision, String message, Throwable cause) {
			super(message, cause);
			this.key = key;
			this.revision = revision;
		}

		String key() {
			return this.key;
		}

		long revision() {
			return this.revision;
		}

	}

}
