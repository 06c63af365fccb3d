package dev.coordination.config;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.coordination.etcd.EtcdKeys;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import org.apache.commons.logging.Log;

import org.springframework.boot.context.config.ConfigData;
import org.springframework.boot.context.config.ConfigDataLoader;
import org.springframework.boot.context.config.ConfigDataLoaderContext;
import org.springframework.boot.env.PropertiesPropertySourceLoader;
import org.springframework.boot.env.PropertySourceLoader;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.io.ByteArrayResource;

/**
 * Loads one configuration context from etcd, one key per property ({@code {context}/database/host}
 * becomes {@code database.host}), or one YAML or properties document in the context's data key. All contexts are read at one revision. A required context that
 * cannot be read fails start-up, naming the endpoints and what to do; an optional one is empty.
 */
public class EtcdConfigDataLoader implements ConfigDataLoader<EtcdConfigDataResource> {

	private final Log logger;

	public EtcdConfigDataLoader(DeferredLogFactory logs) {
		this.logger = logs.getLog(EtcdConfigDataLoader.class);
	}

	@Override
	public ConfigData load(ConfigDataLoaderContext context, EtcdConfigDataResource resource) throws IOException {
		EtcdConfigSource source = context.getBootstrapContext().get(EtcdConfigSource.class);
		GetResponse response;
		try {
			response = source.read(resource.getPath());
		}
		catch (Exception ex) {
			if (ex instanceof InterruptedException) {
				Thread.currentThread().interrupt();
			}
			String message = "Could not read configuration " + resource + " from etcd at " + source.endpoints()
					+ " within " + source.timeout().toMillis() + " ms (coordination.etcd.endpoints,"
					+ " coordination.etcd.connect-timeout): " + ex;
			if (resource.isOptionalImport()) {
				this.logger.warn(message + "; starting without it (optional:etcd:)");
				return ConfigData.EMPTY;
			}
			throw new IllegalStateException(message + ". Start etcd, or import it with optional:etcd: to start"
					+ " without it.", ex);
		}
		String name = "etcd:" + resource.getPath() + "@" + source.revision();
		if (!"key-value".equals(resource.getFormat())) {
			return document(resource, response, name);
		}
		Map<String, Object> properties = new LinkedHashMap<>();
		List<KeyValue> kvs = response.getKvs();
		for (KeyValue kv : kvs) {
			String key = EtcdKeys.string(kv.getKey()).substring(resource.getPath().length());
			if (!key.isEmpty()) {
				properties.put(key.replace('/', '.'), EtcdKeys.string(kv.getValue()));
			}
		}
		return new ConfigData(List.of(new MapPropertySource(name, properties)));
	}

	/**
	 * The context as one YAML or properties document in its data key.
	 */
	private ConfigData document(EtcdConfigDataResource resource, GetResponse response, String name) {
		String dataKey = resource.getPath() + resource.getDataKey();
		KeyValue document = response.getKvs()
			.stream()
			.filter((kv) -> EtcdKeys.string(kv.getKey()).equals(dataKey))
			.findFirst()
			.orElse(null);
		if (document == null) {
			return ConfigData.EMPTY;
		}
		PropertySourceLoader loader = "yaml".equals(resource.getFormat()) ? new YamlPropertySourceLoader()
				: new PropertiesPropertySourceLoader();
		try {
			return new ConfigData(loader.load(name, new ByteArrayResource(document.getValue().getBytes(), dataKey)));
		}
		catch (IOException | RuntimeException ex) {
			throw new IllegalStateException("The " + resource.getFormat() + " document at " + dataKey + " (revision "
					+ document.getModRevision() + ") cannot be read: " + ex.getMessage()
					+ ". Fix it in etcd, or set coordination.etcd.config.format to how it is stored.", ex);
		}
	}

}
