package dev.coordination.config.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import dev.coordination.config.ConfigTemplate;
import dev.coordination.config.internal.ConfigDocuments.InvalidConfigDocumentException;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.core.convert.ConversionException;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;
import org.springframework.util.unit.DataSize;

/**
 * The {@link ConfigTemplate} on etcd: properties as one key each under
 * {@code {prefix}/{context}/}, documents in a context's data key, and snapshots under their own
 * prefix, outside the configuration's.
 * <p>
 * Every write checks its input first and is one etcd transaction: it applies whole or not at all.
 * A snapshot holds the configuration of one revision; saving or restoring one applies only while
 * the keys it replaces are as it read them, so a concurrent write makes it read and try again, up
 * to three times. Every read is one range read of one context, turned into properties by the same
 * code as the {@code etcd:} import ({@link ConfigDocuments}, with the configured format and data
 * key) and looked up as Boot's binder looks them up, so it gives what an application importing that
 * context sees. Thread-safe: it keeps no state besides its settings.
 */
public class EtcdConfigTemplate implements ConfigTemplate {

	private static final int ATTEMPTS = 3;

	private final EtcdTemplate etcd;

	private final String prefix;

	private final String snapshots;

	private final String format;

	private final String dataKey;

	/**
	 * Create a template.
	 * @param etcd the etcd access
	 * @param prefix the normalised configuration prefix, for example {@code /config}
	 * @param snapshots the normalised prefix of snapshots, for example {@code /config-snapshots}
	 * @param format how the import reads contexts: {@code key-value}, {@code yaml} or
	 * {@code properties} ({@code coordination.etcd.config.format})
	 * @param dataKey the key of a context's document ({@code coordination.etcd.config.data-key})
	 * @throws IllegalArgumentException when one prefix is inside the other, or the format is none of
	 * those
	 */
	public EtcdConfigTemplate(EtcdTemplate etcd, String prefix, String snapshots, String format, String dataKey) {
		if ((snapshots + "/").startsWith(prefix + "/") || (prefix + "/").startsWith(snapshots + "/")) {
			throw new IllegalArgumentException("The snapshot prefix " + snapshots
					+ " must not be inside the configuration prefix " + prefix + " or contain it");
		}
		if (!ConfigDocuments.FORMATS.contains(format)) {
			throw new IllegalArgumentException(
					"The configuration format must be one of " + ConfigDocuments.FORMATS + ", not '" + format + "'");
		}
		this.etcd = etcd;
		this.prefix = prefix;
		this.snapshots = snapshots;
		this.format = format;
		this.dataKey = dataKey;
	}

	@Override
	@SuppressWarnings("unchecked")
	public <T> Optional<T> get(String context, String property, Class<T> type) {
		ConfigurationPropertyName name = ConfigurationPropertyName.of(checkedName(property));
		Class<?> target = ClassUtils.resolvePrimitiveIfNecessary(type);
		ConversionService conversion = ApplicationConversionService.getSharedInstance();
		if (!conversion.canConvert(String.class, target)) {
			throw new IllegalArgumentException("Configuration values cannot be converted to " + target.getName()
					+ ": Spring Boot's ApplicationConversionService has no converter from String to it");
		}
		ContextProperties read = read(context);
		ConfigurationProperty found = read.source().getConfigurationProperty(name);
		if (found == null) {
			return Optional.empty();
		}
		String value = String.valueOf(found.getValue());
		try {
			// null for an empty value of a type without one (a number): absent, as in the Environment
			return Optional.ofNullable((T) conversion.convert(value, target));
		}
		catch (ConversionException ex) {
			throw notConvertible(context, property, read.key(found), value, target, ex);
		}
	}

	@Override
	public Map<String, String> getAll(String context, String propertyPrefix) {
		ConfigurationPropertyName ancestor = prefixName(propertyPrefix);
		ContextProperties read = read(context);
		// names Boot takes as one (database.max-size, database.maxSize) give one entry, with the value
		// the binder finds for them
		Map<ConfigurationPropertyName, ConfigurationProperty> found = new LinkedHashMap<>();
		read.source().stream().filter((name) -> ancestor.equals(name) || ancestor.isAncestorOf(name)).forEach((name) -> {
			ConfigurationProperty property = read.source().getConfigurationProperty(name);
			if (property != null) {
				found.putIfAbsent(name, property);
			}
		});
		Map<String, String> properties = new LinkedHashMap<>();
		found.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach((entry) -> properties
			.put(displayName(entry.getKey(), entry.getValue()), String.valueOf(entry.getValue().getValue())));
		return Collections.unmodifiableMap(properties);
	}

	/**
	 * The properties of one context at one revision, as the import makes them.
	 */
	private ContextProperties read(String context) {
		String path = contextPath(context);
		EtcdConfigDataResource resource = new EtcdConfigDataResource(context, this.prefix + "/", path, 0, false,
				this.format, this.dataKey);
		List<KeyValue> kvs = this.etcd.getPrefix(path).getKvs();
		Map<String, Object> properties;
		try {
			properties = ConfigDocuments.properties(resource, kvs);
		}
		catch (InvalidConfigDocumentException ex) {
			throw new IllegalStateException(ex.getMessage(), ex.getCause());
		}
		if (!(ConfigurationPropertySource.from(new MapPropertySource("etcd:" + path, properties))
				instanceof IterableConfigurationPropertySource source)) {
			throw new IllegalStateException("Spring Boot adapts a MapPropertySource to an iterable source");
		}
		return new ContextProperties(resource, kvs, source);
	}

	/**
	 * The name of a property as the context writes it when that is canonical (database.max-size),
	 * else Boot's canonical form of it (database.maxsize for database.maxSize).
	 */
	private static String displayName(ConfigurationPropertyName name, ConfigurationProperty property) {
		if (property.getOrigin() instanceof PropertySourceOrigin origin
				&& ConfigurationPropertyName.isValid(origin.getPropertyName())
				&& ConfigurationPropertyName.of(origin.getPropertyName()).equals(name)) {
			return origin.getPropertyName();
		}
		return name.toString();
	}

	private static IllegalArgumentException notConvertible(String context, String property, String key, String value,
			Class<?> type, ConversionException ex) {
		String what = context + ": " + property + " (key " + key + ")";
		if (SecretNames.isSecret(property)) {
			// the converters' messages repeat the value
			IllegalArgumentException withheld = new IllegalArgumentException(ex.getClass().getName()
					+ " converting to " + type.getName() + " (its message is left out: it may hold the value)");
			withheld.setStackTrace(ex.getStackTrace());
			return new IllegalArgumentException(what + " holds a value that is not a " + type.getName()
					+ validValues(type) + " (the value is left out: the name looks like that of a secret)", withheld);
		}
		return new IllegalArgumentException(
				what + " holds '" + value + "', which is not a " + type.getName() + validValues(type), ex);
	}

	private static String validValues(Class<?> type) {
		if (type.isEnum()) {
			return "; use one of " + Arrays.toString(type.getEnumConstants()) + " (case, '-' and '_' do not matter)";
		}
		if (type == Duration.class) {
			return "; use a duration such as 10s, 500ms, 5m or PT1M";
		}
		if (type == DataSize.class) {
			return "; use a data size such as 512KB or 10MB";
		}
		if (type == Boolean.class) {
			return "; use true or false";
		}
		return "";
	}

	private static ConfigurationPropertyName prefixName(@Nullable String propertyPrefix) {
		String name = (propertyPrefix != null && propertyPrefix.endsWith(".") && propertyPrefix.length() > 1)
				? propertyPrefix.substring(0, propertyPrefix.length() - 1) : propertyPrefix;
		// Boot accepts "a..b" as a name; as a key it would be a/ /b, which names no property
		if (name == null || name.contains("..") || !ConfigurationPropertyName.isValid(name)) {
			throw new IllegalArgumentException("'" + propertyPrefix + "' is not a valid property prefix: use a property"
					+ " name in the canonical form, lower-case words separated by '.' or '-', for example database or"
					+ " database.pool, or an empty prefix for every property");
		}
		return ConfigurationPropertyName.of(name);
	}

	@Override
	public long put(String context, String property, String value) {
		return putAll(context, Map.of(property, value));
	}

	@Override
	public long putAll(String context, Map<String, String> properties) {
		List<Op> puts = new ArrayList<>();
		properties.forEach((property, value) -> {
			if (value == null) {
				throw new IllegalArgumentException("The value of " + property + " must not be null: delete it instead");
			}
			puts.add(Op.put(EtcdKeys.bytes(key(context, property)), EtcdKeys.bytes(value), PutOption.DEFAULT));
		});
		try {
			return this.etcd.txn("put configuration of " + context, (txn) -> txn.Then(puts.toArray(Op[]::new)))
				.getHeader()
				.getRevision();
		}
		catch (EtcdAccessException ex) {
			long bytes = properties.values().stream().mapToLong((value) -> EtcdKeys.bytes(value).size()).sum();
			throw tooLarge(ex, contextPath(context) + properties.keySet(), bytes);
		}
	}

	@Override
	public boolean delete(String context, String property) {
		return this.etcd.delete(key(context, property)) > 0;
	}

	@Override
	public long putDocument(String context, String dataKey, String format, String document) {
		if (!"yaml".equals(format) && !"properties".equals(format)) {
			throw new IllegalArgumentException("The format must be yaml or properties, not '" + format + "'");
		}
		String key = contextPath(context) + EtcdKeys.segment("data key", dataKey);
		try {
			ConfigDocuments.document(format, key, 0, document);
		}
		catch (IllegalStateException ex) {
			throw new IllegalArgumentException(ex.getMessage(), ex);
		}
		try {
			return this.etcd.put(key, document).getHeader().getRevision();
		}
		catch (EtcdAccessException ex) {
			throw tooLarge(ex, key, EtcdKeys.bytes(document).size());
		}
	}

	/**
	 * A clear error when etcd refused a request for its size, else the error itself.
	 */
	private static RuntimeException tooLarge(EtcdAccessException ex, String key, long bytes) {
		String message = String.valueOf(ex.getMessage());
		if (message.contains("RESOURCE_EXHAUSTED") || message.contains("too large")) {
			return new IllegalArgumentException("The value for " + key + " is " + bytes + " bytes, more than etcd takes"
					+ " in one request (its --max-request-bytes, 1.5 MiB by default); nothing was stored. Split it"
					+ " over several keys or contexts.", ex);
		}
		return ex;
	}

	@Override
	public Snapshot save(String name) {
		String data = dataPrefix(name);
		String manifest = manifest(name);
		for (int attempt = 1;; attempt++) {
			GetResponse read = this.etcd.getPrefix(this.prefix + "/");
			Map<String, ByteSequence> keys = new LinkedHashMap<>();
			for (KeyValue kv : read.getKvs()) {
				keys.put(data + EtcdKeys.string(kv.getKey()).substring(this.prefix.length() + 1), kv.getValue());
			}
			Snapshot snapshot = new Snapshot(name, read.getHeader().getRevision(), read.getKvs().size(), Instant.now());
			if (replaceExactly("save snapshot " + name, data, keys,
					Op.put(EtcdKeys.bytes(manifest), EtcdKeys.bytes(encode(snapshot)), PutOption.DEFAULT), null)) {
				return snapshot;
			}
			if (attempt == ATTEMPTS) {
				throw new IllegalStateException("The configuration snapshot '" + name + "' was changed by someone else"
						+ " every time it was saved (" + ATTEMPTS + " attempts)");
			}
		}
	}

	@Override
	public long restore(String name) {
		String manifest = manifest(name);
		String data = dataPrefix(name);
		for (int attempt = 1;; attempt++) {
			GetResponse read = this.etcd.call("read configuration snapshot " + name,
					() -> this.etcd.getClient().getKVClient().get(EtcdKeys.bytes(manifest)));
			if (read.getKvs().isEmpty()) {
				throw new IllegalArgumentException("There is no configuration snapshot named '" + name + "' under "
						+ this.snapshots + "; saved snapshots: " + snapshots().stream().map(Snapshot::name).toList());
			}
			long revision = read.getHeader().getRevision();
			GetResponse keys = this.etcd.call("read configuration snapshot " + name,
					() -> this.etcd.getClient().getKVClient().get(EtcdKeys.bytes(data),
							GetOption.builder().isPrefix(true).withRevision(revision).build()));
			Map<String, ByteSequence> restored = new LinkedHashMap<>();
			for (KeyValue kv : keys.getKvs()) {
				restored.put(this.prefix + "/" + EtcdKeys.string(kv.getKey()).substring(data.length()), kv.getValue());
			}
			Cmp unchanged = new Cmp(EtcdKeys.bytes(manifest), Cmp.Op.EQUAL,
					CmpTarget.modRevision(read.getKvs().get(0).getModRevision()));
			long[] restoredAt = new long[1];
			if (replaceExactly("restore snapshot " + name, this.prefix + "/", restored, null, unchanged, restoredAt)) {
				return restoredAt[0];
			}
			if (attempt == ATTEMPTS) {
				throw new IllegalStateException("The configuration under " + this.prefix + " changed every time snapshot '"
						+ name + "' was restored (" + ATTEMPTS + " attempts): keys written meanwhile may remain");
			}
		}
	}

	@Override
	public List<Snapshot> snapshots() {
		String manifests = this.snapshots + "/manifests/";
		List<Snapshot> found = new ArrayList<>();
		for (KeyValue kv : this.etcd.getPrefix(manifests).getKvs()) {
			decode(EtcdKeys.name(EtcdKeys.string(kv.getKey()).substring(manifests.length())),
					EtcdKeys.string(kv.getValue()))
				.ifPresent(found::add);
		}
		return found;
	}

	@Override
	public boolean deleteSnapshot(String name) {
		TxnResponse response = this.etcd.txn("delete configuration snapshot " + name,
				(txn) -> txn.Then(Op.delete(EtcdKeys.bytes(dataPrefix(name)), DeleteOption.builder().isPrefix(true).build()),
						Op.delete(EtcdKeys.bytes(manifest(name)), DeleteOption.DEFAULT)));
		return response.getDeleteResponses().get(1).getDeleted() > 0;
	}

	private boolean replaceExactly(String what, String prefix, Map<String, ByteSequence> keys, @Nullable Op also,
			@Nullable Cmp guard) {
		return replaceExactly(what, prefix, keys, also, guard, new long[1]);
	}

	/**
	 * Make the keys under a prefix exactly {@code keys} in one transaction: a delete of every other
	 * key (etcd refuses a range delete and a put in that range in one transaction) and a put of each,
	 * applied only while every key read is unchanged and every new key still absent; then checked,
	 * since a key created meanwhile under the prefix cannot be compared.
	 * @return whether it applied and the prefix holds exactly the keys afterwards
	 */
	private boolean replaceExactly(String what, String prefix, Map<String, ByteSequence> keys, @Nullable Op also,
			@Nullable Cmp guard, long[] revision) {
		List<Op> ops = new ArrayList<>();
		List<Cmp> cmps = new ArrayList<>();
		if (guard != null) {
			cmps.add(guard);
		}
		GetResponse existing = this.etcd.call("read " + prefix, () -> this.etcd.getClient().getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).withKeysOnly(true).build()));
		Set<String> present = new HashSet<>();
		for (KeyValue kv : existing.getKvs()) {
			String key = EtcdKeys.string(kv.getKey());
			present.add(key);
			cmps.add(new Cmp(kv.getKey(), Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())));
			if (!keys.containsKey(key)) {
				ops.add(Op.delete(kv.getKey(), DeleteOption.DEFAULT));
			}
		}
		keys.forEach((key, value) -> {
			if (!present.contains(key)) {
				cmps.add(new Cmp(EtcdKeys.bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0)));
			}
			ops.add(Op.put(EtcdKeys.bytes(key), value, PutOption.DEFAULT));
		});
		if (also != null) {
			ops.add(also);
		}
		TxnResponse response = transaction(what, Math.max(ops.size(), cmps.size()), () -> this.etcd.txn(what,
				(txn) -> txn.If(cmps.toArray(Cmp[]::new)).Then(ops.toArray(Op[]::new))));
		if (!response.isSucceeded()) {
			return false;
		}
		revision[0] = response.getHeader().getRevision();
		GetResponse after = this.etcd.call("check " + prefix, () -> this.etcd.getClient().getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).withKeysOnly(true)
				.withRevision(revision[0]).build()));
		return after.getKvs().size() == keys.size();
	}

	private TxnResponse transaction(String what, int operations, Supplier<TxnResponse> txn) {
		try {
			return txn.get();
		}
		catch (EtcdAccessException ex) {
			if (String.valueOf(ex.getMessage()).contains("too many operations")) {
				throw new IllegalStateException("Cannot " + what + " in one transaction: it takes " + operations
						+ " operations, more than etcd allows (its --max-txn-ops, 128 by default); nothing was written."
						+ " Raise --max-txn-ops on every member, or keep fewer keys under " + this.prefix, ex);
			}
			throw ex;
		}
	}

	private String key(String context, @Nullable String property) {
		return contextPath(context) + checkedName(property).replace('.', '/');
	}

	private static String checkedName(@Nullable String property) {
		if (property == null || property.isEmpty() || property.contains("..")
				|| !ConfigurationPropertyName.isValid(property)) {
			throw new IllegalArgumentException("'" + property + "' is not a valid property name: use the canonical"
					+ " form, lower-case words separated by '.' or '-', for example database.max-size");
		}
		return property;
	}

	private String contextPath(String context) {
		return this.prefix + "/" + EtcdKeys.segment("configuration context", context) + "/";
	}

	private String manifest(String name) {
		return this.snapshots + "/manifests/" + EtcdKeys.segment("snapshot name", name);
	}

	private String dataPrefix(String name) {
		return this.snapshots + "/data/" + EtcdKeys.segment("snapshot name", name) + "/";
	}

	/**
	 * The properties of a context as the import makes them, and the keys they come from.
	 */
	private record ContextProperties(EtcdConfigDataResource resource, List<KeyValue> kvs,
			IterableConfigurationPropertySource source) {

		String key(ConfigurationProperty property) {
			String name = (property.getOrigin() instanceof PropertySourceOrigin origin) ? origin.getPropertyName()
					: property.getName().toString();
			return ConfigDocuments.key(this.resource, this.kvs, name);
		}

	}

	private static String encode(Snapshot snapshot) {
		return "revision=" + snapshot.revision() + "\nkeys=" + snapshot.keys() + "\nsaved-at=" + snapshot.savedAt()
				+ "\n";
	}

	/**
	 * A snapshot's manifest, or empty when it is not one (written by something else).
	 */
	private static Optional<Snapshot> decode(String name, String text) {
		Map<String, String> fields = new LinkedHashMap<>();
		for (String line : text.split("\n")) {
			int equals = line.indexOf('=');
			if (equals > 0) {
				fields.put(line.substring(0, equals), line.substring(equals + 1));
			}
		}
		try {
			return Optional.of(new Snapshot(name, Long.parseLong(fields.get("revision")),
					Integer.parseInt(fields.get("keys")), Instant.parse(fields.get("saved-at"))));
		}
		catch (RuntimeException ex) {
			return Optional.empty();
		}
	}

}
