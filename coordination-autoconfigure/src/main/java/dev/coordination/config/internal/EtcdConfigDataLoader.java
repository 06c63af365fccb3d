package dev.coordination.config.internal;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import dev.coordination.config.internal.ConfigDocuments.InvalidConfigDocumentException;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.internal.EtcdStartupException;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import org.apache.commons.logging.Log;

import org.springframework.boot.context.config.ConfigData;
import org.springframework.boot.context.config.ConfigDataLoader;
import org.springframework.boot.context.config.ConfigDataLoaderContext;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.util.Assert;

/**
 * The loader of the configuration contexts that {@code spring.config.import=etcd:} imports: one key
 * per property ({@code {context}/database/host} becomes {@code database.host}), or one YAML or
 * properties document in the context's data key.
 * <p>
 * All contexts are read at one revision. A required context that cannot be read fails start-up, naming
 * the endpoints and what to do, once logging is set up; an optional one starts empty and is filled
 * once etcd answers.
 * <p>
 * Each context becomes an {@link EtcdPropertySource} of the application's {@link EtcdConfigState},
 * which the watch keeps current. When Spring Cloud Context reloads the configuration (its refresh
 * endpoint, Spring Cloud Bus), the same property sources are handed back, without reading etcd
 * again.
 */
public class EtcdConfigDataLoader implements ConfigDataLoader<EtcdConfigDataResource> {

	private final Log logger;

	public EtcdConfigDataLoader(DeferredLogFactory logs) {
		this.logger = logs.getLog(EtcdConfigDataLoader.class);
	}

	@Override
	public ConfigData load(ConfigDataLoaderContext context, EtcdConfigDataResource resource) throws IOException {
		if (context.getBootstrapContext().isRegistered(InvalidImportProperty.class)) {
			// start-up fails once logging is set up (EtcdConfigImportFailureListener)
			return new ConfigData(List.of());
		}
		EtcdConfigSource source = context.getBootstrapContext().get(EtcdConfigSource.class);
		Assert.state(source != null,
				"No etcd configuration source in the bootstrap context: the etcd: location resolver registers one");
		if (source.isClosed()) {
			// a reload of Spring Cloud's refresh (its refresh endpoint, Spring Cloud Bus) in the same
			// bootstrap context: the watch keeps these property sources current, nothing to read
			return new ConfigData(List.of(source.state().source(resource)));
		}
		EtcdPropertySource propertySource = source.state().source(resource);
		GetResponse response;
		try {
			response = source.read(resource.getPath());
		}
		catch (EtcdStartupException | EtcdAccessException ex) {
			String description = (ex instanceof EtcdStartupException startup) ? startup.getDescription()
					: "Reading configuration context " + resource.getPath() + " from etcd failed: " + ex.getMessage() + ".";
			if (resource.isOptionalImport()) {
				// the watch reads everything once etcd answers
				source.state().incomplete();
				if (source.report(ex)) {
					this.logger.warn(description + " Starting without "
							+ (description.contains("contexts ") ? "them" : "it")
							+ " (optional:etcd:), and adding the configuration once etcd answers.");
				}
				return new ConfigData(List.of(propertySource));
			}
			// thrown once logging is set up, so that Spring Boot's failure report is logged as the
			// application's other lines are (EtcdConfigImportFailureListener)
			source.failRequired((ex instanceof EtcdStartupException) ? ex
					: new EtcdStartupException(EtcdStartupException.Reason.OTHER, description,
							"Check etcd at " + source.endpoints() + ", or import it with optional:etcd: to start without it.",
							ex));
			return new ConfigData(List.of(propertySource));
		}
		List<KeyValue> kvs = response.getKvs();
		Map<String, Object> properties;
		try {
			properties = ConfigDocuments.properties(resource, kvs);
		}
		catch (InvalidConfigDocumentException ex) {
			throw new IllegalStateException(ex.getMessage(), ex.getCause());
		}
		source.state().loaded(resource, source.revision(), kvs, properties);
		return new ConfigData(List.of(propertySource));
	}

}
