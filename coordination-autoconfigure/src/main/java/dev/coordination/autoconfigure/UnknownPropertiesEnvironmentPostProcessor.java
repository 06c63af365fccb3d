package dev.coordination.autoconfigure;

import java.beans.PropertyDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeanUtils;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.boot.origin.Origin;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.ClassUtils;
import org.springframework.util.StreamUtils;

/**
 * Warns once at start-up about properties under {@code coordination.} that are none of the
 * starter's, with the closest known name: "coordination.etcd.endpoint is not a property; did you
 * mean coordination.etcd.endpoints?". A misspelt property is otherwise silently ignored.
 * <p>
 * The known names are read once from the configuration metadata on the class path
 * ({@code META-INF/spring-configuration-metadata.json} and
 * {@code additional-spring-configuration-metadata.json}). Names are compared in Boot's relaxed
 * form: {@code request-timeout}, {@code requestTimeout} and {@code COORDINATION_ETCD_REQUESTTIMEOUT}
 * are the same property; anything under a map- or list-typed property
 * ({@code ...metadata.zone}, {@code endpoints[0]}) is known. Runs after the configuration data is
 * loaded (including {@code spring.config.import}); logs through a deferred log, replayed once
 * logging is initialised. {@code coordination.unknown-properties.warn=false} turns it off.
 */
public class UnknownPropertiesEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	static final String WARN_PROPERTY = "coordination.unknown-properties.warn";

	private static final ConfigurationPropertyName PREFIX = ConfigurationPropertyName.of("coordination");

	private final Log logger;

	public UnknownPropertiesEnvironmentPostProcessor(DeferredLogFactory logFactory) {
		this.logger = logFactory.getLog(UnknownPropertiesEnvironmentPostProcessor.class);
	}

	@Override
	public int getOrder() {
		// after ConfigDataEnvironmentPostProcessor and every other contributor of properties
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (!environment.getProperty(WARN_PROPERTY, Boolean.class, true)) {
			return;
		}
		KnownProperties known = KnownProperties.load(application.getClassLoader());
		Map<String, @Nullable Origin> unknown = unknownProperties(ConfigurationPropertySources.get(environment), known);
		String warning = warning(unknown, known);
		if (warning != null) {
			this.logger.warn(warning);
		}
	}

	/**
	 * The names under {@code coordination.} that the metadata does not know, with where each was
	 * set.
	 */
	static Map<String, @Nullable Origin> unknownProperties(Iterable<ConfigurationPropertySource> sources,
			KnownProperties known) {
		Map<String, @Nullable Origin> unknown = new LinkedHashMap<>();
		for (ConfigurationPropertySource source : sources) {
			if (!(source instanceof IterableConfigurationPropertySource iterable)) {
				continue;
			}
			// Boot also binds the underscore form of a dashed name there: COORDINATION_ETCD_REQUEST_TIMEOUT
			boolean environmentVariables = source.getUnderlyingSource() instanceof SystemEnvironmentPropertySource;
			iterable.stream().filter(PREFIX::isAncestorOf).forEach((name) -> {
				String canonical = name.toString();
				if (!known.isKnown(canonical, environmentVariables) && !unknown.containsKey(canonical)) {
					ConfigurationProperty property = source.getConfigurationProperty(name);
					unknown.put(canonical, (property != null) ? property.getOrigin() : null);
				}
			});
		}
		return unknown;
	}

	static @Nullable String warning(Map<String, @Nullable Origin> unknown, KnownProperties known) {
		if (unknown.isEmpty()) {
			return null;
		}
		List<String> lines = new ArrayList<>();
		unknown.forEach((name, origin) -> {
			StringBuilder line = new StringBuilder(name).append(" is not a property");
			String closest = known.closest(name);
			if (closest != null) {
				line.append("; did you mean ").append(closest).append("?");
			}
			if (origin != null) {
				line.append(" (").append(origin).append(")");
			}
			lines.add(line.toString());
		});
		String end = " (" + WARN_PROPERTY + "=false turns this warning off)";
		if (lines.size() == 1) {
			return lines.get(0) + end;
		}
		return lines.size() + " properties under coordination. are not properties" + end + ":\n  "
				+ String.join("\n  ", lines);
	}

	/**
	 * The starter's property names, from the configuration metadata.
	 */
	static final class KnownProperties {

		private static final String[] LOCATIONS = { "META-INF/spring-configuration-metadata.json",
				"META-INF/additional-spring-configuration-metadata.json" };

		private static final Map<ClassLoader, KnownProperties> cache = new java.util.WeakHashMap<>();

		// metadata name -> whether anything below it is valid too (a map, a collection, an array)
		private final Map<String, Boolean> properties;

		private final List<String> groups;

		// map-typed property whose values are the starter's own settings objects -> their fields
		// ({@code coordination.shards} -> count, weight, settle-delay), relaxed
		private final Map<String, Map<String, String>> valueFields;

		KnownProperties(Map<String, Boolean> properties, List<String> groups) {
			this(properties, groups, Map.of());
		}

		KnownProperties(Map<String, Boolean> properties, List<String> groups,
				Map<String, Map<String, String>> valueFields) {
			this.properties = properties;
			this.groups = groups;
			this.valueFields = valueFields;
		}

		static KnownProperties load(@Nullable ClassLoader classLoader) {
			ClassLoader loader = (classLoader != null) ? classLoader : KnownProperties.class.getClassLoader();
			synchronized (cache) {
				return cache.computeIfAbsent(loader, KnownProperties::read);
			}
		}

		@SuppressWarnings("unchecked")
		private static KnownProperties read(ClassLoader loader) {
			Map<String, Boolean> properties = new LinkedHashMap<>();
			Map<String, Map<String, String>> valueFields = new LinkedHashMap<>();
			List<String> groups = new ArrayList<>();
			for (String location : LOCATIONS) {
				try {
					Enumeration<URL> urls = loader.getResources(location);
					while (urls.hasMoreElements()) {
						String json;
						try (InputStream in = urls.nextElement().openStream()) {
							json = StreamUtils.copyToString(in, StandardCharsets.UTF_8);
						}
						Map<String, Object> metadata = JsonParserFactory.getJsonParser().parseMap(json);
						for (Object item : (List<Object>) metadata.getOrDefault("properties", List.of())) {
							Map<String, Object> property = (Map<String, Object>) item;
							String name = String.valueOf(property.get("name"));
							if (name.startsWith("coordination.")) {
								properties.merge(name, open(property.get("type")), Boolean::logicalOr);
								Map<String, String> fields = valueFields(property.get("type"), loader);
								if (fields != null) {
									valueFields.put(name, fields);
								}
							}
						}
						for (Object item : (List<Object>) metadata.getOrDefault("groups", List.of())) {
							String name = String.valueOf(((Map<String, Object>) item).get("name"));
							if (name.startsWith("coordination")) {
								groups.add(name);
							}
						}
					}
				}
				catch (IOException | RuntimeException ex) {
					// no metadata to compare with: no warning rather than a wrong one
					return new KnownProperties(Map.of(), List.of());
				}
			}
			return new KnownProperties(properties, groups, valueFields);
		}

		/**
		 * The settable properties of the values of a map whose values are one of the starter's own
		 * settings classes, by their relaxed form, in their dashed form; {@code null} for any other
		 * type.
		 */
		private static @Nullable Map<String, String> valueFields(@Nullable Object type, ClassLoader loader) {
			String name = (type != null) ? type.toString() : "";
			String prefix = "java.util.Map<java.lang.String,";
			if (!name.startsWith(prefix + "dev.coordination.") || !name.endsWith(">")) {
				return null;
			}
			try {
				Class<?> value = ClassUtils.forName(name.substring(prefix.length(), name.length() - 1), loader);
				Map<String, String> fields = new LinkedHashMap<>();
				for (PropertyDescriptor descriptor : BeanUtils.getPropertyDescriptors(value)) {
					if (descriptor.getWriteMethod() != null) {
						String dashed = descriptor.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
						fields.put(relaxed(dashed), dashed);
					}
				}
				return fields.isEmpty() ? null : fields;
			}
			catch (ClassNotFoundException | LinkageError ex) {
				return null;
			}
		}

		/**
		 * For a name below a map of settings objects ({@code coordination.shards.orders.count}): the
		 * map property, and what follows the map key, or {@code null} for any other name.
		 */
		private String @Nullable [] belowSettingsMap(String name) {
			for (String map : this.valueFields.keySet()) {
				String known = relaxed(map);
				if (name.startsWith(known + ".") || name.startsWith(known + "[")) {
					String rest = name.substring(known.length() + 1);
					int bracket = rest.indexOf(']');
					int dot = rest.indexOf('.', Math.max(bracket, 0));
					return new String[] { map, (dot >= 0) ? rest.substring(dot + 1) : "" };
				}
			}
			return null;
		}

		private static boolean open(@Nullable Object type) {
			if (type == null) {
				return false;
			}
			String name = type.toString();
			return name.startsWith("java.util.Map") || name.startsWith("java.util.List") || name.startsWith("java.util.Set")
					|| name.startsWith("java.util.Collection") || name.endsWith("[]") || name.startsWith("java.util.Properties");
		}

		/**
		 * Whether a canonical name ({@code coordination.etcd.endpoints[0]}) is a property, below a
		 * map- or list-typed one, or a group.
		 */
		boolean isKnown(String canonical) {
			return isKnown(canonical, false);
		}

		/**
		 * Whether a canonical name is a property, below a map- or list-typed one, or a group.
		 * @param canonical the name
		 * @param environmentVariable whether it comes from environment variables, where Boot also
		 * binds the legacy form with underscores for dashes ({@code COORDINATION_ETCD_REQUEST_TIMEOUT}
		 * is {@code coordination.etcd.request.timeout} here)
		 */
		boolean isKnown(String canonical, boolean environmentVariable) {
			if (this.properties.isEmpty()) {
				return true;
			}
			String name = relaxed(canonical);
			String[] settings = belowSettingsMap(name);
			if (settings != null) {
				Map<String, String> fields = this.valueFields.get(settings[0]);
				if (settings[1].isEmpty() || fields == null || fields.containsKey(settings[1])) {
					return true;
				}
				// COORDINATION_SHARDS_MY_ORDERS_SETTLE_DELAY: the map key and the dashes both became dots
				String[] segments = settings[1].split("\\.");
				for (int from = 0; environmentVariable && from < segments.length; from++) {
					if (fields.containsKey(String.join("", java.util.Arrays.copyOfRange(segments, from, segments.length)))) {
						return true;
					}
				}
				return false;
			}
			String legacyName = canonical.toLowerCase(Locale.ROOT);
			for (Map.Entry<String, Boolean> property : this.properties.entrySet()) {
				String known = relaxed(property.getKey());
				if (known.equals(name) || known.startsWith(name + ".")
						|| (property.getValue() && (name.startsWith(known + ".") || name.startsWith(known + "[")))) {
					return true;
				}
				String legacy = property.getKey().replace('-', '.').toLowerCase(Locale.ROOT);
				if (environmentVariable && (legacy.equals(legacyName) || legacy.startsWith(legacyName + ".")
						|| (property.getValue() && legacyName.startsWith(legacy + ".")))) {
					return true;
				}
			}
			for (String group : this.groups) {
				if (relaxed(group).equals(name)) {
					return true;
				}
			}
			return false;
		}

		/**
		 * The known property closest to a name, when one is close enough to be a likely typo.
		 */
		@Nullable String closest(String canonical) {
			String name = relaxed(canonical);
			String[] settings = belowSettingsMap(name);
			Map<String, String> fields = (settings != null) ? this.valueFields.get(settings[0]) : null;
			if (settings != null && fields != null) {
				String field = null;
				int fieldDistance = Integer.MAX_VALUE;
				for (String candidate : fields.keySet()) {
					int distance = distance(settings[1], candidate);
					if (distance < fieldDistance) {
						field = candidate;
						fieldDistance = distance;
					}
				}
				if (field == null || fieldDistance > Math.max(2, settings[1].length() / 3)) {
					return null;
				}
				String key = canonical.substring(0, canonical.lastIndexOf('.') + 1);
				return key + fields.get(field);
			}
			String best = null;
			int bestDistance = Integer.MAX_VALUE;
			for (String property : this.properties.keySet()) {
				int distance = distance(name, relaxed(property));
				if (distance < bestDistance) {
					best = property;
					bestDistance = distance;
				}
			}
			int lastElement = name.length() - name.lastIndexOf('.') - 1;
			return (bestDistance <= Math.max(2, lastElement / 3)) ? best : null;
		}

		// Boot's relaxed form: case and dashes do not matter
		private static String relaxed(String name) {
			return name.replace("-", "").toLowerCase(Locale.ROOT);
		}

		private static int distance(String a, String b) {
			int[] previous = new int[b.length() + 1];
			int[] current = new int[b.length() + 1];
			for (int j = 0; j <= b.length(); j++) {
				previous[j] = j;
			}
			for (int i = 1; i <= a.length(); i++) {
				current[0] = i;
				for (int j = 1; j <= b.length(); j++) {
					int substitution = previous[j - 1] + ((a.charAt(i - 1) == b.charAt(j - 1)) ? 0 : 1);
					current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
				}
				int[] swap = previous;
				previous = current;
				current = swap;
			}
			return previous[b.length()];
		}

	}

}
