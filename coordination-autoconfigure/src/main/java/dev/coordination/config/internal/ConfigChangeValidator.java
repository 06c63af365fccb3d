package dev.coordination.config.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.coordination.config.ConfigChangedEvent.Change;
import dev.coordination.config.internal.ConfigChange.Rejection;
import dev.coordination.config.internal.ConfigDocuments.InvalidConfigDocumentException;
import dev.coordination.etcd.internal.EtcdKeys;
import io.etcd.jetcd.KeyValue;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.scope.ScopedProxyUtils;
import org.springframework.beans.factory.Aware;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.annotation.BeanFactoryAnnotationUtils;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.ConfigurationPropertiesBean;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.BindMethod;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.bind.handler.IgnoreErrorsBindHandler;
import org.springframework.boot.context.properties.bind.handler.IgnoreTopLevelConverterNotFoundBindHandler;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.context.properties.bind.validation.ValidationBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.convert.converter.Converter;
import org.springframework.core.convert.converter.GenericConverter;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.util.ClassUtils;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;

/**
 * The diff/validate half of a configuration refresh: turns what etcd holds into a checked
 * {@link ConfigChange} against the configuration in the {@code Environment}, without changing
 * either the {@code Environment} or a bean.
 * <p>
 * Each context's properties come from its keys ({@link ConfigDocuments}); a context whose document
 * cannot be read keeps its last good properties. A property changes when its value, with the
 * contexts merged in precedence order, differs. A change touches the
 * {@code @ConfigurationProperties} beans whose prefix the property is under as Boot's binder reads
 * its name: relaxed ({@code greeting.maxSize} is {@code greeting.max-size}, {@code greeting.[bad}
 * is {@code greeting.bad}), and a name it cannot read as a property ({@code [bad}, {@code .double},
 * {@code greeting.}) touches no bean. Each touched bean is bound afresh against the candidate, as
 * Boot binds it: the application's conversion service or Boot's with the
 * {@code @ConfigurationPropertiesBinding} converters, JSR-303 validation of a {@code @Validated}
 * bean, {@code ignoreInvalidFields} and {@code ignoreUnknownFields}, and then its
 * {@code afterPropertiesSet()} unless it is {@link Aware} (it would miss what the container gives
 * it). A bean that does not bind keeps the last good values of every property under its prefix, and
 * what remains is checked once more; when that does not bind either, nothing of the change applies.
 * <p>
 * Not thread-safe: used on the configuration's thread only.
 */
final class ConfigChangeValidator {

	private static final Log logger = LogFactory.getLog(ConfigChangeValidator.class);

	// the property source Boot attaches to every Environment, which would see the live etcd sources
	private static final String ATTACHED_SOURCE = "configurationProperties";

	private static final Set<String> BENIGN_SOURCES = Set.of(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
			StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);

	private final EtcdConfigState state;

	private final ConfigurableApplicationContext context;

	private @Nullable Map<String, ConfigurationPropertiesBean> beans;

	/**
	 * Create a validator.
	 * @param state the imported configuration, whose snapshot is the last good one
	 * @param context the application, whose {@code Environment} and beans a change is checked
	 * against
	 */
	ConfigChangeValidator(EtcdConfigState state, ConfigurableApplicationContext context) {
		this.state = state;
		this.context = context;
	}

	/**
	 * Check what etcd holds against the configuration in the {@code Environment}.
	 * @param kvs every key of the imported prefixes, as of {@code revision}
	 * @param revision the revision
	 * @return the change, with what was left out and why
	 */
	ConfigChange validate(Map<String, KeyValue> kvs, long revision) {
		ConfigSnapshot applied = this.state.snapshot();
		List<Rejection> rejections = new ArrayList<>();
		Map<String, Map<String, Object>> candidate = new LinkedHashMap<>();
		for (EtcdConfigDataResource context : this.state.resources()) {
			List<KeyValue> own = kvs.values()
				.stream()
				.filter((kv) -> EtcdKeys.string(kv.getKey()).startsWith(context.getPath()))
				.toList();
			try {
				candidate.put(context.getPath(), ConfigDocuments.properties(context, own));
			}
			catch (InvalidConfigDocumentException ex) {
				candidate.put(context.getPath(), applied.properties(context.getPath()));
				rejections.add(new Rejection(ex.key() + "@" + ex.revision(),
						ex.getMessage() + " The last good configuration stays."));
			}
		}
		Map<String, Change> changes = changes(applied.contexts(), candidate);
		for (int attempt = 0; attempt < 2 && !changes.isEmpty(); attempt++) {
			Map<String, Rejection> rejected = check(candidate, changes.keySet(), revision);
			if (rejected.isEmpty()) {
				break;
			}
			rejected.forEach((prefix, rejection) -> {
				revert(candidate, applied, prefix);
				rejections.add(rejection);
			});
			if (attempt == 1) {
				// still not binding: nothing of this change applies
				candidate.clear();
				candidate.putAll(applied.contexts());
			}
			changes = changes(applied.contexts(), candidate);
		}
		return new ConfigChange(revision, candidate, changes, touched(changes.keySet()), rejections);
	}

	/**
	 * The properties that change, as the contexts together give them: a context of higher
	 * precedence hides a change of the same property in one of lower precedence.
	 */
	private Map<String, Change> changes(Map<String, Map<String, Object>> before,
			Map<String, Map<String, Object>> after) {
		List<String> order = this.state.contexts();
		Map<String, Object> old = merge(order, before);
		Map<String, Object> now = merge(order, after);
		Map<String, Change> changes = new TreeMap<>();
		Set<String> names = new HashSet<>(old.keySet());
		names.addAll(now.keySet());
		for (String name : names) {
			if (!Objects.equals(old.get(name), now.get(name))) {
				changes.put(name, new Change(text(old.get(name)), text(now.get(name))));
			}
		}
		return changes;
	}

	private static Map<String, Object> merge(List<String> order, Map<String, Map<String, Object>> contexts) {
		Map<String, Object> merged = new LinkedHashMap<>();
		order.forEach((path) -> merged.putAll(contexts.getOrDefault(path, Map.of())));
		return merged;
	}

	private static @Nullable String text(@Nullable Object value) {
		return (value != null) ? value.toString() : null;
	}

	/**
	 * The beans whose prefix one of the names is under, as Boot's binder reads the names. A bean of
	 * the refresh scope is left to the scope: refreshing it makes a new one.
	 * @param names the changed names
	 * @return the beans
	 */
	List<ConfigurationPropertiesBean> touched(Collection<String> names) {
		List<ConfigurationPropertyName> read = names.stream()
			.map(ConfigChangeValidator::asBound)
			.filter(Objects::nonNull)
			.toList();
		if (read.isEmpty()) {
			return List.of();
		}
		List<ConfigurationPropertiesBean> touched = new ArrayList<>();
		for (ConfigurationPropertiesBean bean : beans().values()) {
			if (ScopedProxyUtils.isScopedTarget(bean.getName())) {
				continue;
			}
			ConfigurationPropertyName prefix = ConfigurationPropertyName.of(prefix(bean));
			if (read.stream().anyMatch((name) -> isUnder(prefix, name))) {
				touched.add(bean);
			}
		}
		return touched;
	}

	private Map<String, ConfigurationPropertiesBean> beans() {
		Map<String, ConfigurationPropertiesBean> beans = this.beans;
		if (beans == null) {
			beans = ConfigurationPropertiesBean.getAll(this.context);
			this.beans = beans;
		}
		return beans;
	}

	/**
	 * A property source's name as Boot's binder reads it (its {@code DefaultPropertyMapper}).
	 * @return the name, or {@code null} when the binder cannot read it as a property
	 */
	private static @Nullable ConfigurationPropertyName asBound(String name) {
		try {
			ConfigurationPropertyName adapted = ConfigurationPropertyName.adapt(name, '.');
			return adapted.isEmpty() ? null : adapted;
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	private static boolean isUnder(ConfigurationPropertyName prefix, ConfigurationPropertyName name) {
		return prefix.isEmpty() || prefix.equals(name) || prefix.isAncestorOf(name);
	}

	private static boolean isUnder(ConfigurationPropertyName prefix, String name) {
		ConfigurationPropertyName read = asBound(name);
		return read != null && isUnder(prefix, read);
	}

	/**
	 * Put back the last good values of every property under a prefix, in every context.
	 */
	private static void revert(Map<String, Map<String, Object>> candidate, ConfigSnapshot applied, String prefix) {
		ConfigurationPropertyName parent = ConfigurationPropertyName.of(prefix);
		candidate.replaceAll((path, properties) -> {
			Map<String, Object> reverted = new LinkedHashMap<>();
			properties.forEach((name, value) -> {
				if (!isUnder(parent, name)) {
					reverted.put(name, value);
				}
			});
			applied.properties(path).forEach((name, value) -> {
				if (isUnder(parent, name)) {
					reverted.put(name, value);
				}
			});
			return reverted;
		});
	}

	/**
	 * Bind every bean that the changed names touch against the candidate.
	 * @return the prefixes of the beans that do not bind, with the reason
	 */
	private Map<String, Rejection> check(Map<String, Map<String, Object>> candidate, Collection<String> names,
			long revision) {
		Iterable<PropertySource<?>> sources = sources(candidate);
		Map<String, Rejection> rejected = new LinkedHashMap<>();
		for (ConfigurationPropertiesBean bean : touched(names)) {
			String prefix = prefix(bean);
			String type = ClassUtils.getUserClass(type(bean)).getSimpleName() + " (" + prefix + ")";
			Object bound;
			try {
				bound = binder(sources, bean).bindOrCreate(prefix, fresh(bean));
			}
			catch (BindException ex) {
				String reason = (ex.getCause() instanceof BindValidationException) ? "fails its validation"
						: "cannot bind: " + rootMessage(ex);
				rejected.put(prefix, masked(rejection(revision, prefix, what(prefix, ex), type + " " + reason),
						secretValues(prefix, ex)));
				continue;
			}
			catch (RuntimeException ex) {
				logger.debug("Could not check " + prefix + " against the configuration from etcd: " + ex);
				continue;
			}
			if (bound instanceof InitializingBean initializing && !(bound instanceof Aware)
					&& bean.asBindTarget().getBindMethod() == BindMethod.JAVA_BEAN) {
				try {
					initializing.afterPropertiesSet();
				}
				catch (Exception ex) {
					InvalidConfigurationPropertyValueException invalid = invalidValue(ex);
					String what = (invalid != null) ? "sets " + invalid.getName() + " to '" + invalid.getValue() + "'"
							: "sets " + prefix + ".*";
					Rejection rejection = rejection(revision, prefix, what, type + " refuses it: "
							+ ((invalid != null) ? invalid.getReason() : rootMessage(ex)));
					rejected.put(prefix, (invalid != null && SecretNames.isSecret(invalid.getName()))
							? masked(rejection, valueOf(invalid.getValue())) : rejection);
				}
			}
		}
		return rejected;
	}

	/**
	 * What a change sets that a bean does not bind.
	 */
	private static String what(String prefix, BindException ex) {
		if (ex.getCause() instanceof BindValidationException invalid) {
			return violations(prefix, invalid);
		}
		if (ex.getCause() instanceof UnboundConfigurationPropertiesException unbound) {
			return "sets " + unbound.getUnboundProperties()
				.stream()
				.map((property) -> property.getName() + " to '" + property.getValue() + "'")
				.collect(Collectors.joining(", "));
		}
		ConfigurationProperty property = ex.getProperty();
		return (property != null) ? "sets " + property.getName() + " to '" + property.getValue() + "'"
				: "sets " + prefix + ".*";
	}

	/**
	 * The values of the properties a binding failure names whose names look like those of secrets.
	 */
	private static List<String> secretValues(String prefix, BindException ex) {
		List<String> values = new ArrayList<>();
		if (ex.getCause() instanceof BindValidationException invalid) {
			for (ObjectError error : invalid.getValidationErrors().getAllErrors()) {
				if (error instanceof FieldError field && SecretNames.isSecret(prefix + "." + field.getField())) {
					values.addAll(valueOf(field.getRejectedValue()));
				}
			}
		}
		if (ex.getCause() instanceof UnboundConfigurationPropertiesException unbound) {
			unbound.getUnboundProperties()
				.stream()
				.filter((property) -> SecretNames.isSecret(property.getName().toString()))
				.forEach((property) -> values.addAll(valueOf(property.getValue())));
		}
		ConfigurationProperty property = ex.getProperty();
		if (property != null && SecretNames.isSecret(property.getName().toString())) {
			values.addAll(valueOf(property.getValue()));
		}
		return values;
	}

	private static List<String> valueOf(@Nullable Object value) {
		String text = (value != null) ? value.toString() : "";
		return text.isEmpty() ? List.of() : List.of(text);
	}

	/**
	 * The rejection with the values of secrets left out of its message, which is logged and shown by
	 * the endpoint, also where a converter's message repeats them. Its id keeps them, so that a
	 * different value is still a different rejection.
	 */
	private static Rejection masked(Rejection rejection, List<String> secrets) {
		String message = rejection.message();
		for (String secret : secrets) {
			message = message.replace("'" + secret + "'", "'" + SecretNames.MASK + "'")
				.replace("\"" + secret + "\"", "\"" + SecretNames.MASK + "\"")
				.replace("[" + secret + "]", "[" + SecretNames.MASK + "]");
			if (secret.length() >= 4) {
				message = message.replace(secret, SecretNames.MASK);
			}
		}
		return new Rejection(rejection.id(), message);
	}

	private static Rejection rejection(long revision, String prefix, String what, String reason) {
		String because = reason.endsWith(".") ? reason.substring(0, reason.length() - 1) : reason;
		// the same while the same values stay in etcd, whatever else changes
		return new Rejection(prefix + ": " + what + ": " + because, "The configuration from etcd at revision "
				+ revision + " " + what + ", which " + because + ". The last good values of " + prefix
				+ ".* stay until it is fixed in etcd.");
	}

	/**
	 * The application's property sources, with the candidate in place of the etcd contexts.
	 */
	private Iterable<PropertySource<?>> sources(Map<String, Map<String, Object>> candidate) {
		MutablePropertySources sources = new MutablePropertySources(this.context.getEnvironment().getPropertySources());
		sources.remove(ATTACHED_SOURCE);
		for (EtcdPropertySource source : this.state.sources()) {
			if (sources.contains(source.getName())) {
				sources.replace(source.getName(),
						new MapPropertySource(source.getName(), candidate.getOrDefault(source.path(), Map.of())));
			}
		}
		return sources;
	}

	private static String violations(String prefix, BindValidationException invalid) {
		List<String> violations = new ArrayList<>();
		for (ObjectError error : invalid.getValidationErrors().getAllErrors()) {
			if (error instanceof FieldError field) {
				violations.add(prefix + "." + field.getField() + " to '" + field.getRejectedValue() + "' ("
						+ field.getDefaultMessage() + ")");
			}
			else {
				violations.add(prefix + " (" + error.getDefaultMessage() + ")");
			}
		}
		return "sets " + String.join(", ", violations);
	}

	private static @Nullable InvalidConfigurationPropertyValueException invalidValue(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof InvalidConfigurationPropertyValueException invalid) {
				return invalid;
			}
		}
		return null;
	}

	private static @Nullable String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage();
	}

	private static String prefix(ConfigurationPropertiesBean bean) {
		ConfigurationProperties annotation = bean.getAnnotation();
		return annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
	}

	private static Class<?> type(ConfigurationPropertiesBean bean) {
		return bean.asBindTarget().getType().resolve(Object.class);
	}

	private static Bindable<Object> fresh(ConfigurationPropertiesBean bean) {
		Bindable<?> target = bean.asBindTarget();
		return Bindable.of(target.getType())
			.withAnnotations(target.getAnnotations())
			.withBindMethod(target.getBindMethod());
	}

	/**
	 * A binder like the one Boot binds a {@code @ConfigurationProperties} bean with, which is not
	 * public: the conversion services Boot would use, and the bind handlers its annotation and
	 * {@code @Validated} ask for.
	 */
	private Binder binder(Iterable<PropertySource<?>> sources, ConfigurationPropertiesBean bean) {
		ConfigurationProperties annotation = bean.getAnnotation();
		BindHandler handler = new IgnoreTopLevelConverterNotFoundBindHandler();
		if (annotation.ignoreInvalidFields()) {
			handler = new IgnoreErrorsBindHandler(handler);
		}
		if (!annotation.ignoreUnknownFields()) {
			// as Boot: what the system environment and properties hold is never unknown
			handler = new NoUnboundElementsBindHandler(handler,
					(source) -> !(source.getUnderlyingSource() instanceof PropertySource<?> underlying
							&& BENIGN_SOURCES.contains(underlying.getName())));
		}
		List<Validator> validators = validators(bean);
		if (!validators.isEmpty()) {
			handler = new ValidationBindHandler(handler, validators.toArray(Validator[]::new));
		}
		return new Binder(ConfigurationPropertySources.from(sources), new PropertySourcesPlaceholdersResolver(sources),
				conversionServices(), null, handler, null);
	}

	private List<Validator> validators(ConfigurationPropertiesBean bean) {
		List<Validator> validators = new ArrayList<>();
		ConfigurableListableBeanFactory beans = this.context.getBeanFactory();
		boolean validated = bean.asBindTarget().getAnnotation(Validated.class) != null
				|| AnnotationUtils.findAnnotation(ClassUtils.getUserClass(type(bean)), Validated.class) != null;
		if (validated) {
			Validator validator = this.context.getBeanProvider(Validator.class).getIfUnique();
			if (validator != null) {
				validators.add(validator);
			}
		}
		if (beans.containsBean(EnableConfigurationProperties.VALIDATOR_BEAN_NAME)
				&& beans.getBean(EnableConfigurationProperties.VALIDATOR_BEAN_NAME) instanceof Validator validator
				&& !validators.contains(validator)) {
			validators.add(validator);
		}
		return validators;
	}

	/**
	 * The conversion services Boot binds with: the application's {@code conversionService} bean,
	 * else the {@code @ConfigurationPropertiesBinding} converters first, then the bean factory's.
	 */
	@SuppressWarnings("rawtypes")
	private List<ConversionService> conversionServices() {
		ConfigurableListableBeanFactory beans = this.context.getBeanFactory();
		String name = ConfigurableApplicationContext.CONVERSION_SERVICE_BEAN_NAME;
		if (beans.containsBean(name) && beans.getBean(name) instanceof ConversionService service) {
			return List.of(service);
		}
		Map<String, Converter> converters = BeanFactoryAnnotationUtils.qualifiedBeansOfType(beans, Converter.class,
				ConfigurationPropertiesBinding.VALUE);
		Map<String, GenericConverter> generic = BeanFactoryAnnotationUtils.qualifiedBeansOfType(beans,
				GenericConverter.class, ConfigurationPropertiesBinding.VALUE);
		List<ConversionService> services = new ArrayList<>();
		if (!converters.isEmpty() || !generic.isEmpty()) {
			ApplicationConversionService service = new ApplicationConversionService();
			converters.values().forEach(service::addConverter);
			generic.values().forEach(service::addConverter);
			services.add(service);
		}
		ConversionService factory = beans.getConversionService();
		services.add((factory != null) ? factory : ApplicationConversionService.getSharedInstance());
		return services;
	}

}
