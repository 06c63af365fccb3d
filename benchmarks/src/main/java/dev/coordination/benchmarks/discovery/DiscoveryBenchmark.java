package dev.coordination.benchmarks.discovery;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import dev.coordination.benchmarks.BenchmarkClients;
import dev.coordination.autoconfigure.discovery.DiscoveryAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.benchmarks.ComparedTo;
import dev.coordination.discovery.InstanceStatus;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.DiscoveryMetrics;
import dev.coordination.discovery.internal.EtcdServiceCatalog;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.CoordinationEvents;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.etcd.internal.RetryPolicy;
import dev.coordination.etcd.internal.WatchProgress;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * The cost of looking up the instances of a service, by fleet size ({@link #instances} instances of
 * service {@value #SERVICE}): from the starter's watch-fed catalog
 * ({@link ServiceDiscovery#instances(String)}, answered from memory) and through Spring Cloud's
 * {@link DiscoveryClient#getInstances(String)}, against a lookup that reads etcd on every call, as
 * simple examples do: a prefix get of {@code /services/bench/} on a plain jetcd client, then a JSON
 * parse of every value into a {@link ServiceRecord}. Also the cost of the catalog taking in one
 * changed record ({@link #applyChange()}), the path every registration, status change and
 * deregistration anywhere in the fleet goes through in every instance.
 * <p>
 * The trial starts a Spring context with the starter's etcd, session and discovery
 * auto-configurations ({@code coordination.etcd.discovery.register=false}: this JVM only looks up)
 * and one plain jetcd client, both against the etcd in {@value #ENDPOINTS_PROPERTY}. It writes the
 * records (without a lease) and waits until the catalog lists them all; both lookups must find
 * them. Every etcd call waits for its answer, bounded by 5 seconds. Nobody writes during the
 * measurement. Mode {@code SampleTime} in microseconds for the lookups against etcd, plus
 * {@code AverageTime} in nanoseconds for the in-memory calls, whose sampled times would be mostly
 * the timer's own cost and granularity.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DiscoveryBenchmark {

	/**
	 * The endpoints {@code BenchmarkMain} hands to the forked JVM.
	 */
	static final String ENDPOINTS_PROPERTY = "coordination.benchmark.endpoints";

	static final String SERVICE = "bench";

	private static final String PREFIX = "/services/" + SERVICE + "/";

	private static final long TIMEOUT_SECONDS = BenchmarkClients.TIMEOUT_SECONDS;

	private static final JsonMapper json = JsonMapper.builder().build();

	/**
	 * Instances of the service: the fleet size.
	 */
	@Param({ "5", "100", "1000" })
	public int instances;

	private ConfigurableApplicationContext context;

	private DiscoveryClient discoveryClient;

	private EtcdServiceCatalog applying;

	private CoordinationEvents applyingEvents;

	private KeyValue[] changedRecords;

	private String changedKey;

	private int applied;

	private ServiceDiscovery discovery;

	private Client client;

	private KV kv;

	private ByteSequence prefix;

	private GetOption prefixOption;

	@Setup(Level.Trial)
	public void setUp() throws Exception {
		String endpoints = System.getProperty(ENDPOINTS_PROPERTY);
		if (endpoints == null || endpoints.isBlank()) {
			throw new IllegalStateException("No etcd endpoints: run through BenchmarkMain or pass -D" + ENDPOINTS_PROPERTY);
		}
		this.client = Client.builder().endpoints(endpoints.split(",")).build();
		this.kv = this.client.getKVClient();
		this.prefix = EtcdKeys.bytes(PREFIX);
		this.prefixOption = GetOption.builder().isPrefix(true).build();
		this.kv.delete(this.prefix, DeleteOption.builder().isPrefix(true).build()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
		this.context = startContext(endpoints, Map.of());
		this.discovery = this.context.getBean(ServiceDiscovery.class);
		this.discoveryClient = this.context.getBean(DiscoveryClient.class);
		List<CompletableFuture<?>> puts = new ArrayList<>();
		for (int i = 1; i <= this.instances; i++) {
			String instanceId = instanceId(i);
			puts.add(this.kv.put(EtcdKeys.bytes(PREFIX + instanceId),
					EtcdKeys.bytes(recordJson(SERVICE, instanceId, 8080 + i, "1.0.0"))));
		}
		CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (this.discovery.instances(SERVICE).size() != this.instances) {
			if (System.nanoTime() - deadline > 0) {
				throw new IllegalStateException("The catalog lists " + this.discovery.instances(SERVICE).size()
						+ " instances after 10 s, not " + this.instances);
			}
			TimeUnit.MILLISECONDS.sleep(10);
		}
		List<ServiceRecord> fromEtcd = etcdLookup();
		if (!fromEtcd.equals(catalogLookup())) {
			throw new IllegalStateException("The lookups disagree: " + fromEtcd + " from etcd, " + catalogLookup()
					+ " from the catalog");
		}
		if (discoveryClientLookup().size() != this.instances) {
			throw new IllegalStateException("The DiscoveryClient lists " + discoveryClientLookup().size() + " instances");
		}
		setUpApplying();
	}

	/**
	 * A catalog of its own, not watching etcd, that {@link #applyChange()} hands changed records to
	 * as its watch would: it holds the same records as the context's catalog, and every change
	 * alternates the metadata of one of them.
	 */
	private void setUpApplying() {
		this.applyingEvents = new CoordinationEvents(null);
		this.applying = new EtcdServiceCatalog(this.context.getBean(EtcdTemplate.class), "/services", DiscoveryMetrics.NONE,
				this.applyingEvents, RetryPolicy.DEFAULT, WatchProgress.off());
		Map<String, KeyValue> kvs = new HashMap<>();
		for (int i = 1; i <= this.instances; i++) {
			String instanceId = instanceId(i);
			kvs.put(PREFIX + instanceId, keyValue(PREFIX + instanceId, recordJson(SERVICE, instanceId, 8080 + i, "1.0.0"), i));
		}
		this.applying.changed(kvs, kvs.keySet(), this.instances, System.nanoTime());
		int changed = (this.instances + 1) / 2;
		String instanceId = instanceId(changed);
		this.changedKey = PREFIX + instanceId;
		this.changedRecords = new KeyValue[] {
				keyValue(this.changedKey, recordJson(SERVICE, instanceId, 8080 + changed, "1.0.1"), this.instances + 1),
				keyValue(this.changedKey, recordJson(SERVICE, instanceId, 8080 + changed, "1.0.0"), this.instances + 1) };
		if (this.applying.allInstances(SERVICE).size() != this.instances) {
			throw new IllegalStateException("The applying catalog lists " + this.applying.allInstances(SERVICE).size()
					+ " instances");
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() throws Exception {
		if (this.client != null) {
			this.kv.delete(this.prefix, DeleteOption.builder().isPrefix(true).build()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
			this.client.close();
		}
		if (this.context != null) {
			this.context.close();
		}
		if (this.applyingEvents != null) {
			this.applyingEvents.close();
		}
	}

	/**
	 * The starter's lookup: the UP instances of the service, from the watch-fed catalog in memory.
	 * @return the instances
	 */
	@Benchmark
	public List<ServiceRecord> catalogLookup() {
		return this.discovery.instances(SERVICE);
	}

	/**
	 * {@link #catalogLookup()} again, as an average over many calls in nanoseconds: a sampled call
	 * this short is mostly the timer's own cost and granularity.
	 * @return the instances
	 */
	@Benchmark
	@BenchmarkMode(Mode.AverageTime)
	@OutputTimeUnit(TimeUnit.NANOSECONDS)
	public List<ServiceRecord> catalogLookupAverage() {
		return this.discovery.instances(SERVICE);
	}

	/**
	 * Spring Cloud's lookup: {@link DiscoveryClient#getInstances(String)} of the starter's client,
	 * answered from the same catalog; an average in nanoseconds.
	 * @return the instances
	 */
	@Benchmark
	@BenchmarkMode(Mode.AverageTime)
	@OutputTimeUnit(TimeUnit.NANOSECONDS)
	public List<ServiceInstance> discoveryClientLookup() {
		return this.discoveryClient.getInstances(SERVICE);
	}

	/**
	 * The catalog taking in one changed record of the service, as its watch hands it over: the
	 * record decoded, the lookups' view of the catalog updated and the change handed to the event
	 * thread (with no listener); an average in nanoseconds.
	 * @return the catalog, for JMH to consume
	 */
	@Benchmark
	@BenchmarkMode(Mode.AverageTime)
	@OutputTimeUnit(TimeUnit.NANOSECONDS)
	public ServiceDiscovery applyChange() {
		KeyValue changed = this.changedRecords[this.applied++ & 1];
		this.applying.changed(Map.of(this.changedKey, changed), Set.of(this.changedKey), this.instances + this.applied,
				System.nanoTime());
		return this.applying;
	}

	/**
	 * A lookup that reads etcd every time: a prefix get (linearizable, jetcd's default), then every
	 * value parsed as JSON into a record; the UP ones, ordered by instance id like the catalog's.
	 * @return the instances
	 * @throws Exception if the get fails or times out
	 */
	@Benchmark
	@ComparedTo("DiscoveryBenchmark.catalogLookup")
	public List<ServiceRecord> etcdLookup() throws Exception {
		GetResponse response = this.kv.get(this.prefix, this.prefixOption).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
		List<ServiceRecord> instances = new ArrayList<>(response.getKvs().size());
		for (KeyValue kv : response.getKvs()) {
			ServiceRecord record = parse(EtcdKeys.string(kv.getValue()));
			if (record.status() == InstanceStatus.UP) {
				instances.add(record);
			}
		}
		instances.sort(Comparator.comparing(ServiceRecord::instanceId));
		return instances;
	}

	/**
	 * Start the starter's etcd, session and discovery auto-configurations, without registering
	 * this JVM.
	 * @param endpoints the etcd endpoints
	 * @param properties more properties
	 * @return the running context; the caller closes it
	 */
	static ConfigurableApplicationContext startContext(String endpoints, Map<String, Object> properties) {
		SpringApplication application = new SpringApplication(DiscoveryConfiguration.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		Map<String, Object> defaults = new HashMap<>(properties);
		defaults.put("coordination.etcd.endpoints", endpoints);
		defaults.put("coordination.etcd.discovery.register", "false");
		application.setDefaultProperties(defaults);
		return application.run();
	}

	/**
	 * The JSON of a valid UP record, as the starter writes it.
	 * @param serviceId the service
	 * @param instanceId the instance
	 * @param port its port
	 * @param version its metadata {@code version}
	 * @return the JSON
	 */
	static String recordJson(String serviceId, String instanceId, int port, String version) {
		ObjectNode node = json.createObjectNode();
		node.put("instanceId", instanceId);
		node.put("serviceId", serviceId);
		node.put("host", "127.0.0.1");
		node.put("port", port);
		node.put("secure", false);
		node.put("status", InstanceStatus.UP.name());
		node.put("zone", "zone-1");
		node.put("startTime", Instant.parse("2026-11-24T00:00:00Z").toString());
		node.putObject("metadata").put("version", version);
		return json.writeValueAsString(node);
	}

	private static String instanceId(int i) {
		return String.format("i-%04d", i);
	}

	// what the catalog reads of a key-value: its key and value
	private static KeyValue keyValue(String key, String value, long revision) {
		io.etcd.jetcd.api.KeyValue kv = io.etcd.jetcd.api.KeyValue.newBuilder()
			.setKey(ByteString.copyFromUtf8(key))
			.setValue(ByteString.copyFromUtf8(value))
			.setModRevision(revision)
			.build();
		return new KeyValue(kv, ByteSequence.EMPTY);
	}

	private static ServiceRecord parse(String value) {
		JsonNode node = json.readTree(value);
		Map<String, String> metadata = new LinkedHashMap<>();
		JsonNode metadataNode = node.get("metadata");
		if (metadataNode != null) {
			for (Map.Entry<String, JsonNode> entry : metadataNode.properties()) {
				metadata.put(entry.getKey(), entry.getValue().asString());
			}
		}
		JsonNode zone = node.get("zone");
		JsonNode startTime = node.get("startTime");
		return new ServiceRecord(node.get("instanceId").asString(), node.get("serviceId").asString(),
				node.get("host").asString(), node.get("port").asInt(), node.get("secure").asBoolean(),
				InstanceStatus.valueOf(node.get("status").asString()), (zone != null) ? zone.asString() : null,
				(startTime != null) ? Instant.parse(startTime.asString()) : null, metadata);
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
			DiscoveryAutoConfiguration.class })
	static class DiscoveryConfiguration {

	}

}
