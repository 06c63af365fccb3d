package dev.coordination.config.internal;

import java.beans.PropertyDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import dev.coordination.config.ConfigChangedEvent.Change;
import dev.coordination.config.ConfigChangedEvent;
import dev.coordination.config.ConfigListener;
import dev.coordination.config.internal.ConfigDocuments.InvalidConfigDocumentException;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.PrefixMirror;
import io.etcd.jetcd.KeyValue;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeanWrapper;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.beans.factory.annotation.BeanFactoryAnnotationUtils;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.ConfigurationPropertiesBean;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.BindMethod;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.context.properties.bind.validation.ValidationBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.convert.converter.Converter;
import org.springframework.core.convert.converter.GenericConverter;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.util.ClassUtils;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;

/**
 * Turns what etcd holds into the {@code Environment}: parses every context, checks that every
 * {@code @ConfigurationProperties} bean a change touches still binds, and then swaps the snapshot,
 * rebinds those beans, refreshes Spring Cloud Context when it is there and publishes an
 * {@link ConfigChangedEvent}. A document that cannot be read, or values a bean cannot bind,
 * keep their last good state; everything else applies. Runs on the configuration's thread.
 */
final class ConfigRefresher implements PrefixMirror.Handler {

	private static final Log logger = LogFactory.getLog(ConfigRefresher.class);

	private static final String CLOUD_LISTENER = "org.springframework.cloud.endpoint.event.RefreshEventListener";

	private final EtcdConfigState state;

	private final ConfigurableApplicationContext context;

	private final ConfigMetrics metrics;

	private final Object eventSource;

	private final CoordinationEvents events;

	private final List<ConfigListener> listeners;

	// errors already logged, so that a bad value that stays in etcd is logged once
	private final Set<String> reported = new HashSet<>();

	private Map<String, ConfigurationPropertiesBean> beans;

	private volatile boolean cloudRefreshMissed;

	ConfigRefresher(EtcdConfigState state, ConfigurableApplicationContext context, ConfigMetrics metrics,
			Object eventSource, CoordinationEvents events, List<ConfigListener> listeners) {
		this.events = events;
		this.listeners = listeners;
		this.state = state;
		this.context = context;
		this.metrics = metrics;
		this.eventSource = eventSource;
	}

	@Override
	public void connected(boolean connected) {
		this.state.stale(!connected);
	}

	@Override
	public void changed(Map<String, KeyValue> kvs, Set<String> changedKeys, long revision, long receivedAt) {
		try {
			refresh(kvs, revision, receivedAt);
		}
		catch (RuntimeException ex) {
			this.metrics.refreshed("failed", System.nanoTime() - receivedAt);
			this.state.rejected("Applying revision " + revision + " failed: " + ex);
			throw ex;
		}
	}

	private void refresh(Map<String, KeyValue> kvs, long revision, long receivedAt) {
		ConfigSnapshot applied = this.state.snapshot();
		List<String> errors = new ArrayList<>();
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
				error(errors, ex.key() + "@" + ex.revision(), ex.getMessage() + " The last good configuration stays.");
			}
		}
		Map<String, Change> changes = changes(applied.contexts(), candidate);
		if (!changes.isEmpty()) {
			for (int attempt = 0; attempt < 2; attempt++) {
				Map<String, String> rejected = check(candidate, changes.keySet(), revision);
				if (rejected.isEmpty()) {
					break;
				}
				rejected.forEach((prefix, reason) -> {
					revert(candidate, applied, prefix);
					error(errors, prefix + "=" + reason, reason);
				});
				if (attempt == 1) {
					// still not binding: nothing of this change applies
					candidate.clear();
					candidate.putAll(applied.contexts());
				}
				changes = changes(applied.contexts(), candidate);
			}
		}
		ConfigSnapshot next = new ConfigSnapshot(revision, candidate);
		boolean first = !this.state.isLoaded();
		if (errors.isEmpty()) {
			// health tells the error is gone by the time the configuration is there
			this.state.clearError();
			this.reported.clear();
		}
		String outcome = errors.isEmpty() ? "applied" : "rejected";
		if (changes.isEmpty() && candidate.equals(applied.contexts())) {
			this.state.apply(next);
			this.metrics.refreshed(outcome, this.state.appliedAt() - receivedAt);
		}
		else {
			apply(next, changes, revision, () -> this.metrics.refreshed(outcome, this.state.appliedAt() - receivedAt));
		}
		if (first) {
			logger.info("Configuration from etcd " + this.state.contexts() + " added at revision " + revision);
		}
	}

	private void apply(ConfigSnapshot next, Map<String, Change> changes, long revision, Runnable measured) {
		ConfigSnapshot previous = this.state.snapshot();
		try {
			if (isCloudRefreshing()) {
				// Spring Cloud reloads the configuration: the loader applies the snapshot at that moment,
				// so its EnvironmentChangeEvent names the keys, and @RefreshScope beans are refreshed
				boolean applied = this.state.applyDuring(next, () -> CloudRefresh.publish(this.context,
						this.eventSource, "etcd configuration at revision " + revision));
				if (!applied) {
					// Spring Cloud refreshes only once the application is ready: then
					this.cloudRefreshMissed = true;
					this.state.apply(next);
				}
			}
			else {
				this.state.apply(next);
			}
			reinstall();
			measured.run();
			if (!changes.isEmpty()) {
				rebind(changes.keySet());
			}
		}
		catch (RuntimeException ex) {
			// nothing half-applied: the Environment goes back to the last good configuration
			this.state.apply(previous);
			reinstall();
			rebind(changes.keySet());
			throw ex;
		}
		if (changes.isEmpty()) {
			return;
		}
		logger.info("Configuration from etcd at revision " + revision + " changed " + changes.keySet());
		this.events.publish(new ConfigChangedEvent(this.eventSource, revision, changes), this.listeners,
				ConfigListener::changed);
	}

	/**
	 * The application is ready: refresh Spring Cloud's beans for changes applied before.
	 */
	void ready() {
		if (this.cloudRefreshMissed && isCloudRefreshing()) {
			this.cloudRefreshMissed = false;
			CloudRefresh.publish(this.context, this.eventSource,
					"etcd configuration at revision " + this.state.revision() + " (changed while starting)");
		}
	}

	/**
	 * Put this state's property sources back where a reload started by something else (the refresh
	 * endpoint of Spring Cloud) put frozen copies.
	 */
	private void reinstall() {
		MutablePropertySources sources = this.context.getEnvironment().getPropertySources();
		for (EtcdPropertySource source : this.state.sources()) {
			PropertySource<?> there = sources.get(source.getName());
			if (there != null && there != source) {
				sources.replace(source.getName(), source);
			}
		}
	}

	private boolean isCloudRefreshing() {
		return ClassUtils.isPresent(CLOUD_LISTENER, this.context.getClassLoader())
				&& this.context.getBeanNamesForType(ClassUtils.resolveClassName(CLOUD_LISTENER,
						this.context.getClassLoader())).length > 0;
	}

	private void error(List<String> errors, String id, String message) {
		errors.add(message);
		this.state.rejected(message);
		if (this.reported.add(id)) {
			logger.error(message);
		}
	}

	/**
	 * The properties that change, as etcd's contexts together give them.
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
		// a context of higher precedence wins
		Map<String, Object> merged = new LinkedHashMap<>();
		order.forEach((path) -> merged.putAll(contexts.getOrDefault(path, Map.of())));
		return merged;
	}

	private static String text(Object value) {
		return (value != null) ? value.toString() : null;
	}

	/**
	 * Bind every {@code @ConfigurationProperties} bean that the changed names touch against the
	 * candidate.
	 * @return the prefixes of the beans that do not bind, with the reason
	 */
	private Map<String, String> check(Map<String, Map<String, Object>> candidate, Collection<String> names,
			long revision) {
		MutablePropertySources sources = new MutablePropertySources(this.context.getEnvironment().getPropertySources());
		sources.remove("configurationProperties");
		for (EtcdPropertySource source : this.state.sources()) {
			if (sources.contains(source.getName())) {
				String path = source.getName().substring("etcd:".length());
				sources.replace(source.getName(),
						new MapPropertySource(source.getName(), candidate.getOrDefault(path, Map.of())));
			}
		}
		Map<String, String> rejected = new LinkedHashMap<>();
		for (ConfigurationPropertiesBean bean : touched(names)) {
			String prefix = prefix(bean);
			try {
				binder(sources, bean).bindOrCreate(prefix, fresh(bean));
			}
			catch (BindException ex) {
				String what = (ex.getCause() instanceof BindValidationException invalid) ? violations(prefix, invalid)
						: "sets " + ((ex.getProperty() != null) ? ex.getProperty().getName() : prefix) + " to '"
								+ ((ex.getProperty() != null) ? ex.getProperty().getValue() : null) + "'";
				String reason = (ex.getCause() instanceof BindValidationException) ? "fails its validation"
						: "cannot bind: " + rootMessage(ex);
				rejected.put(prefix, "The configuration from etcd at revision " + revision + " " + what + ", which "
						+ ClassUtils.getUserClass(bean.getInstance()).getSimpleName() + " (" + prefix + ") " + reason
						+ ". The last good values of " + prefix + ".* stay until it is fixed in etcd.");
			}
			catch (RuntimeException ex) {
				logger.debug("Could not check " + prefix + " against the configuration from etcd: " + ex);
			}
		}
		return rejected;
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

	private static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage();
	}

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
	 * Rebind the JavaBean {@code @ConfigurationProperties} beans the changed names touch: bound
	 * afresh, so a deleted property returns to its default, and copied into the bean.
	 */
	private void rebind(Collection<String> names) {
		for (ConfigurationPropertiesBean bean : touched(names)) {
			if (bean.asBindTarget().getBindMethod() != BindMethod.JAVA_BEAN) {
				logger.debug(bean.getName() + " is bound through its constructor and is not rebound: read it"
						+ " through @RefreshScope or the Environment to see changes");
				continue;
			}
			try {
				Object target = bean.getInstance();
				if (AopUtils.isAopProxy(target)) {
					target = AopProxyUtils.getSingletonTarget(target);
				}
				Object fresh = binder(this.context.getEnvironment().getPropertySources(), bean)
					.bindOrCreate(prefix(bean), fresh(bean));
				if (target != null && fresh != null
						&& ClassUtils.getUserClass(target).isAssignableFrom(fresh.getClass())) {
					copyProperties(fresh, target, 0);
				}
			}
			catch (RuntimeException ex) {
				logger.error("Could not rebind " + bean.getName() + " (" + prefix(bean) + ")", ex);
			}
		}
	}

	/**
	 * Copy the bound JavaBean properties of a freshly bound object into the bean: through setters,
	 * and into nested objects, maps and collections that only have a getter (how Boot binds them).
	 * Fields that are not properties (injected collaborators, state) are left alone.
	 */
	@SuppressWarnings({ "unchecked", "rawtypes" })
	private static void copyProperties(Object from, Object to, int depth) {
		BeanWrapper source = new BeanWrapperImpl(from);
		BeanWrapper target = new BeanWrapperImpl(to);
		for (PropertyDescriptor property : source.getPropertyDescriptors()) {
			String name = property.getName();
			if (!source.isReadableProperty(name) || "class".equals(name)) {
				continue;
			}
			Object value = source.getPropertyValue(name);
			if (target.isWritableProperty(name)) {
				target.setPropertyValue(name, value);
				continue;
			}
			if (!target.isReadableProperty(name)) {
				continue;
			}
			Object current = target.getPropertyValue(name);
			if (current == null || value == null || current == value) {
				continue;
			}
			try {
				if (current instanceof Map map && value instanceof Map fresh) {
					map.clear();
					map.putAll(fresh);
				}
				else if (current instanceof Collection collection && value instanceof Collection fresh) {
					collection.clear();
					collection.addAll(fresh);
				}
				else if (depth < 8 && ClassUtils.getUserClass(current) == ClassUtils.getUserClass(value)
						&& !value.getClass().getName().startsWith("java.")) {
					copyProperties(value, current, depth + 1);
				}
			}
			catch (UnsupportedOperationException ex) {
				logger.debug("Cannot change " + name + " of " + to.getClass().getName() + ": " + ex);
			}
		}
	}

	private List<ConfigurationPropertiesBean> touched(Collection<String> names) {
		if (this.beans == null) {
			this.beans = ConfigurationPropertiesBean.getAll(this.context);
		}
		List<ConfigurationPropertyName> changed = names.stream()
			.filter(ConfigurationPropertyName::isValid)
			.map(ConfigurationPropertyName::of)
			.toList();
		List<String> invalid = names.stream().filter((name) -> !ConfigurationPropertyName.isValid(name)).toList();
		List<ConfigurationPropertiesBean> touched = new ArrayList<>();
		for (ConfigurationPropertiesBean bean : this.beans.values()) {
			if (bean.getName().startsWith("scopedTarget.")) {
				continue;
			}
			ConfigurationPropertyName prefix = ConfigurationPropertyName.of(prefix(bean));
			if (prefix.isEmpty() || !invalid.isEmpty()
					|| changed.stream().anyMatch((name) -> prefix.equals(name) || prefix.isAncestorOf(name))) {
				touched.add(bean);
			}
		}
		return touched;
	}

	private static boolean isUnder(ConfigurationPropertyName parent, String name) {
		if (!ConfigurationPropertyName.isValid(name)) {
			return false;
		}
		ConfigurationPropertyName property = ConfigurationPropertyName.of(name);
		return parent.isEmpty() || parent.equals(property) || parent.isAncestorOf(property);
	}

	private static String prefix(ConfigurationPropertiesBean bean) {
		String prefix = bean.getAnnotation().prefix();
		return prefix.isEmpty() ? bean.getAnnotation().value() : prefix;
	}

	private static Bindable<Object> fresh(ConfigurationPropertiesBean bean) {
		Bindable<?> target = bean.asBindTarget();
		return Bindable.of(target.getType()).withAnnotations(target.getAnnotations()).withBindMethod(target.getBindMethod());
	}

	/**
	 * A binder like Boot's for a {@code @ConfigurationProperties} bean: the application's conversion
	 * service (or Boot's with the {@code @ConfigurationPropertiesBinding} converters), and JSR-303
	 * validation of a {@code @Validated} bean.
	 */
	private Binder binder(Iterable<PropertySource<?>> sources, ConfigurationPropertiesBean bean) {
		BindHandler handler = null;
		if (AnnotationUtils.findAnnotation(ClassUtils.getUserClass(bean.getInstance()), Validated.class) != null) {
			Validator validator = this.context.getBeanProvider(Validator.class).getIfUnique();
			if (validator != null) {
				handler = new ValidationBindHandler(validator);
			}
		}
		return new Binder(ConfigurationPropertySources.from(sources), new PropertySourcesPlaceholdersResolver(sources),
				conversionServices(), null, handler, null);
	}

	@SuppressWarnings("rawtypes")
	private List<ConversionService> conversionServices() {
		ConfigurableListableBeanFactory beans = this.context.getBeanFactory();
		if (beans.containsBean(ConfigurableApplicationContext.CONVERSION_SERVICE_BEAN_NAME)
				&& beans.getBean(ConfigurableApplicationContext.CONVERSION_SERVICE_BEAN_NAME) instanceof ConversionService service) {
			return List.of(service);
		}
		Map<String, Converter> converters = BeanFactoryAnnotationUtils.qualifiedBeansOfType(beans, Converter.class,
				ConfigurationPropertiesBinding.VALUE);
		Map<String, GenericConverter> generic = BeanFactoryAnnotationUtils.qualifiedBeansOfType(beans,
				GenericConverter.class, ConfigurationPropertiesBinding.VALUE);
		if (converters.isEmpty() && generic.isEmpty()) {
			return List.of(ApplicationConversionService.getSharedInstance());
		}
		ApplicationConversionService service = new ApplicationConversionService();
		converters.values().forEach(service::addConverter);
		generic.values().forEach(service::addConverter);
		return List.of(service);
	}

	/**
	 * Spring Cloud Context, touched only when it is on the classpath.
	 */
	private static final class CloudRefresh {

		static void publish(ConfigurableApplicationContext context, Object source, String description) {
			context.publishEvent(new org.springframework.cloud.endpoint.event.RefreshEvent(source, null, description));
		}

	}

}
