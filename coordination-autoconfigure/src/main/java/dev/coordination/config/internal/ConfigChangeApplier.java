package dev.coordination.config.internal;

import java.util.List;
import java.util.Set;

import dev.coordination.config.ConfigChangedEvent;
import dev.coordination.config.ConfigListener;
import dev.coordination.etcd.internal.CoordinationEvents;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.context.properties.ConfigurationPropertiesBean;
import org.springframework.boot.context.properties.bind.BindMethod;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.cloud.context.properties.ConfigurationPropertiesRebinder;
import org.springframework.cloud.context.scope.refresh.RefreshScope;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.util.Assert;
import org.springframework.util.ClassUtils;

/**
 * The rebind/apply half of a configuration refresh: swaps a checked {@link ConfigChange} into the
 * {@code Environment}, rebinds the {@code @ConfigurationProperties} beans it touches and no other,
 * and tells the application.
 * <p>
 * A bean is rebound by Spring Cloud Context's {@code ConfigurationPropertiesRebinder} when there is
 * one (whenever spring-cloud-context is on the classpath, even with
 * {@code spring.cloud.refresh.enabled=false}) and it knows the bean: Spring Cloud resets a bean
 * bound through its setters to the values of a new instance and binds it again, so a deleted
 * property returns to its default. Otherwise the bean's initialization runs again
 * ({@code AutowireCapableBeanFactory.initializeBean}): Boot's
 * {@code ConfigurationPropertiesBindingPostProcessor} binds it as at start-up, onto the existing
 * instance, so a property that no source has any more keeps its last value, and its
 * {@code afterPropertiesSet()} runs. A bean bound through its constructor is never rebound.
 * <p>
 * With Spring Cloud's refresh (a {@code RefreshScope} bean), an {@code EnvironmentChangeEvent} then
 * names the changed properties and the refresh scope is refreshed. Last, a
 * {@link ConfigChangedEvent} goes to the listeners on the event thread.
 * <p>
 * When a bean fails to rebind, the {@code Environment} goes back to the configuration before the
 * change and the touched beans are rebound to it, so no bean keeps half of the change; the failure
 * is thrown. While a bean is rebound, a thread reading it may see it in between. Not thread-safe:
 * used on the configuration's thread only.
 */
final class ConfigChangeApplier {

	private static final Log logger = LogFactory.getLog(ConfigChangeApplier.class);

	private static final boolean CLOUD_CONTEXT_PRESENT = ClassUtils.isPresent(
			"org.springframework.cloud.context.properties.ConfigurationPropertiesRebinder",
			ConfigChangeApplier.class.getClassLoader());

	private final EtcdConfigState state;

	private final ConfigurableApplicationContext context;

	private final Object eventSource;

	private final CoordinationEvents events;

	private final List<ConfigListener> listeners;

	/**
	 * Create an applier.
	 * @param state the imported configuration, whose snapshot the {@code Environment} reads
	 * @param context the application, whose beans are rebound
	 * @param eventSource the source of the events
	 * @param events the thread listeners are told on
	 * @param listeners the listeners, read when an event is delivered
	 */
	ConfigChangeApplier(EtcdConfigState state, ConfigurableApplicationContext context, Object eventSource,
			CoordinationEvents events, List<ConfigListener> listeners) {
		this.state = state;
		this.context = context;
		this.eventSource = eventSource;
		this.events = events;
		this.listeners = listeners;
	}

	/**
	 * Apply a change.
	 * @param change the checked change
	 * @param swapped called once the {@code Environment} has the change, before anyone is told
	 * @throws RuntimeException when a bean failed to rebind; the configuration before the change is
	 * back in the {@code Environment}
	 */
	void apply(ConfigChange change, Runnable swapped) {
		ConfigSnapshot previous = this.state.snapshot();
		this.state.apply(change.snapshot());
		reinstall();
		swapped.run();
		if (change.changes().isEmpty()) {
			return;
		}
		try {
			change.touched().forEach(this::rebind);
		}
		catch (RuntimeException ex) {
			this.state.apply(previous);
			reinstall();
			for (ConfigurationPropertiesBean bean : change.touched()) {
				try {
					rebind(bean);
				}
				catch (RuntimeException again) {
					logger.error("Could not rebind " + bean.getName() + " to the configuration before revision "
							+ change.revision(), again);
				}
			}
			throw ex;
		}
		if (CLOUD_CONTEXT_PRESENT) {
			try {
				CloudRefresh.refresh(this.context, this.eventSource, change.changes().keySet());
			}
			catch (RuntimeException ex) {
				logger.error("Spring Cloud's refresh after revision " + change.revision() + " failed", ex);
			}
		}
		logger.info("Configuration from etcd at revision " + change.revision() + " changed " + change.changes().keySet()
				+ ((change.touched().isEmpty()) ? ""
						: ", rebound " + change.touched().stream().map(ConfigurationPropertiesBean::getName).toList()));
		this.events.publish(new ConfigChangedEvent(this.eventSource, change.revision(), change.changes()),
				this.listeners, ConfigListener::changed);
	}

	private void rebind(ConfigurationPropertiesBean bean) {
		if (bean.asBindTarget().getBindMethod() == BindMethod.VALUE_OBJECT) {
			logger.debug(bean.getName() + " is bound through its constructor and is not rebound: read it through"
					+ " @RefreshScope or the Environment to see changes");
			return;
		}
		if (CLOUD_CONTEXT_PRESENT && CloudRebinding.rebind(this.context, bean.getName())) {
			return;
		}
		Object target = bean.getInstance();
		Assert.state(target != null, () -> "The @ConfigurationProperties bean " + bean.getName()
				+ " has no instance to rebind");
		if (AopUtils.isAopProxy(target)) {
			Object singleton = AopProxyUtils.getSingletonTarget(target);
			target = (singleton != null) ? singleton : target;
		}
		this.context.getAutowireCapableBeanFactory().initializeBean(target, bean.getName());
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

	/**
	 * Spring Cloud Context's rebinder, touched only when spring-cloud-context is on the classpath.
	 */
	private static final class CloudRebinding {

		/**
		 * Rebind a bean through Spring Cloud's rebinder.
		 * @return whether there is a rebinder that knows the bean (it leaves alone a bean it never
		 * refreshes, {@code spring.cloud.refresh.never-refreshable})
		 */
		static boolean rebind(ConfigurableApplicationContext context, String name) {
			ConfigurationPropertiesRebinder rebinder = context.getBeanProvider(ConfigurationPropertiesRebinder.class)
				.getIfAvailable();
			if (rebinder == null || !rebinder.getBeanNames().contains(name)) {
				return false;
			}
			rebinder.rebind(name);
			return true;
		}

	}

	/**
	 * Spring Cloud's refresh, touched only when spring-cloud-context is on the classpath.
	 */
	private static final class CloudRefresh {

		static void refresh(ConfigurableApplicationContext context, Object source, Set<String> keys) {
			RefreshScope scope = context.getBeanProvider(RefreshScope.class).getIfAvailable();
			if (scope == null) {
				return;
			}
			// not from the context: Spring Cloud's rebinder would rebind every bean on an event from
			// the context, and the beans this change touches are rebound already
			context.publishEvent(new EnvironmentChangeEvent(source, keys));
			scope.refreshAll();
		}

	}

}
