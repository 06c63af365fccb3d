package dev.coordination.autoconfigure.config;

import java.util.ArrayList;
import java.util.List;

import dev.coordination.autoconfigure.etcd.BootstrapEtcdClient;
import dev.coordination.config.internal.EtcdConfigDataResource;
import dev.coordination.config.internal.EtcdConfigSource;
import dev.coordination.config.internal.InvalidImportProperty;
import dev.coordination.etcd.internal.EtcdKeys;

import org.springframework.boot.bootstrap.BootstrapRegistry.InstanceSupplier;
import org.springframework.boot.context.config.ConfigDataLocation;
import org.springframework.boot.context.config.ConfigDataLocationResolver;
import org.springframework.boot.context.config.ConfigDataLocationResolverContext;
import org.springframework.boot.context.config.Profiles;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.Assert;
import org.springframework.util.StringUtils;

/**
 * Resolves {@code etcd:} (and {@code etcd:/other/prefix}) into the configuration contexts, in
 * increasing precedence: {@code {prefix}/application/}, {@code {prefix}/application,{profile}/},
 * {@code {prefix}/{app}/}, {@code {prefix}/{app},{profile}/}, where {@code {app}} is
 * {@code spring.application.name} and the prefix {@code coordination.etcd.config.prefix}
 * ({@code /config}).
 * <p>
 * Reads the {@code coordination.etcd.config.*} properties that shape the contexts as
 * {@link ConfigProperties} checks them: an invalid prefix or format fails the import with an
 * {@link InvalidConfigurationPropertyValueException} naming the property. Registers the bootstrap
 * etcd connection once, announces the contexts to it so that they are read in one transaction,
 * and hands the imported state to the application context when the bootstrap context closes.
 */
public class EtcdConfigDataLocationResolver implements ConfigDataLocationResolver<EtcdConfigDataResource> {

	static final String PREFIX = "etcd:";

	/**
	 * The bean name of the imported {@link EtcdConfigState} in the application context.
	 */
	public static final String STATE_BEAN = "etcdConfigState";

	@Override
	public boolean isResolvable(ConfigDataLocationResolverContext context, ConfigDataLocation location) {
		return location.hasPrefix(PREFIX);
	}

	@Override
	public List<EtcdConfigDataResource> resolve(ConfigDataLocationResolverContext context,
			ConfigDataLocation location) {
		// all contexts come with the profiles: Boot would rank any profile-specific context above
		// {app}, and {app} must win over application,{profile}
		return List.of();
	}

	@Override
	public List<EtcdConfigDataResource> resolveProfileSpecific(ConfigDataLocationResolverContext context,
			ConfigDataLocation location, Profiles profiles) {
		try {
			return resolve(context, location, profiles);
		}
		catch (InvalidConfigurationPropertyValueException ex) {
			// thrown by EtcdConfigImportFailureListener once logging is set up; meanwhile one resource
			// that loads empty, so that Spring Boot does not report the location as missing
			if (!context.getBootstrapContext().isRegistered(InvalidImportProperty.class)) {
				context.getBootstrapContext().register(InvalidImportProperty.class,
						InstanceSupplier.of(new InvalidImportProperty(ex)));
				// where EtcdConfigImportFailureListener did not run (an application that set its own
				// listeners), start-up fails here instead of going on without the import
				context.getBootstrapContext().addCloseListener((event) -> {
					throw ex;
				});
			}
			return List.of(new EtcdConfigDataResource("application", "/", "/", 0, true, "key-value",
					"data"));
		}
	}

	private List<EtcdConfigDataResource> resolve(ConfigDataLocationResolverContext context,
			ConfigDataLocation location, Profiles profiles) {
		register(context);
		Binder binder = context.getBinder();
		// only what the import reads: the application context checks the rest
		ConfigProperties properties = new ConfigProperties();
		binder.bind(ConfigProperties.PREFIX + ".prefix", String.class).ifBound(properties::setPrefix);
		binder.bind(ConfigProperties.PREFIX + ".profile-separator", String.class)
			.ifBound(properties::setProfileSeparator);
		binder.bind(ConfigProperties.PREFIX + ".format", String.class).ifBound(properties::setFormat);
		binder.bind(ConfigProperties.PREFIX + ".data-key", String.class).ifBound(properties::setDataKey);
		String explicit = location.getNonPrefixedValue(PREFIX);
		String prefix = StringUtils.hasText(explicit) ? prefix("spring.config.import", explicit)
				: properties.determinePrefix();
		String separator = properties.getProfileSeparator();
		String format = properties.determineFormat();
		String dataKey = properties.getDataKey();
		String application = binder.bind("spring.application.name", String.class).orElse(null);
		List<String> names = new ArrayList<>();
		names.add("application");
		if (StringUtils.hasText(application)) {
			names.add(application);
		}
		// increasing precedence: application, application,{profile}..., {app}, {app},{profile}...
		List<EtcdConfigDataResource> resources = new ArrayList<>();
		for (String name : names) {
			resources.add(resource(prefix, name, resources.size(), location, format, dataKey));
			for (String profile : profiles.getActive()) {
				resources.add(resource(prefix, name + separator + profile, resources.size(), location, format, dataKey));
			}
		}
		// the loader then reads them all in one transaction, at one revision
		EtcdConfigSource source = context.getBootstrapContext().get(EtcdConfigSource.class);
		Assert.state(source != null, "The etcd configuration source is registered before the contexts are resolved");
		source.expect(resources.stream().map(EtcdConfigDataResource::getPath).toList());
		return resources;
	}

	private static EtcdConfigDataResource resource(String prefix, String contextName, int precedence,
			ConfigDataLocation location, String format, String dataKey) {
		return new EtcdConfigDataResource(contextName, prefix + "/",
				EtcdKeys.key(prefix, EtcdKeys.segment("configuration context", contextName)) + "/",
				precedence, location.isOptional(), format, dataKey);
	}

	private static void register(ConfigDataLocationResolverContext context) {
		Binder binder = context.getBinder();
		context.getBootstrapContext().registerIfAbsent(EtcdConfigSource.class, InstanceSupplier.from(() -> {
			BootstrapEtcdClient bootstrap = BootstrapEtcdClient.create(binder);
			EtcdConfigSource source = new EtcdConfigSource(
					bootstrap.endpoints().stream().map(java.net.URI::toString).toList(), bootstrap.connectTimeout(),
					bootstrap.client(), bootstrap.startupCheck());
			context.getBootstrapContext().addCloseListener((event) -> {
				source.close();
				// where EtcdConfigImportFailureListener did not run (configuration data applied
				// without a SpringApplication), a required import that failed fails here
				source.throwRequiredFailure();
				// the application context watches etcd and refreshes what was imported
				if (!source.state().contexts().isEmpty()
						&& !event.getApplicationContext().getBeanFactory().containsSingleton(STATE_BEAN)) {
					event.getApplicationContext().getBeanFactory().registerSingleton(STATE_BEAN, source.state());
				}
			});
			return source;
		}));
	}

	private static String prefix(String property, String value) {
		try {
			return EtcdKeys.prefix(property, value);
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidConfigurationPropertyValueException(property, value, ex.getMessage());
		}
	}

}
