package dev.coordination.it.quickstart;

import java.io.IOException;
import java.io.StringReader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;

import dev.coordination.election.LeaderElections;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's "Quick start", exactly as written: its Java files compiled, its
 * {@code application.yml} on the class path, the application started against a real etcd, and each
 * capability it shows checked; its {@code pom.xml} names the versions this build tests with.
 * <p>
 * A block of the section belongs to the application when its first line is a comment naming the
 * file ({@code // src/main/java/...}, {@code # src/main/resources/application.yml},
 * {@code <!-- pom.xml -->}); other blocks (shell commands) are left alone.
 */
@ExtendWith(OutputCaptureExtension.class)
class QuickStartTests {

	private static final Path README = Path.of("..", "README.md");

	private static final Pattern FENCED_BLOCK = Pattern.compile("(?ms)^```[a-z]*\\n(.*?)^```$");

	private static final Pattern FILE_MARKER = Pattern
		.compile("^(?://\\s*(\\S+\\.java)|#\\s*(\\S+\\.ya?ml)|<!--\\s*(pom\\.xml)\\s*-->)\\s*$");

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	@TempDir
	Path work;

	private Path classes;

	@BeforeEach
	@AfterEach
	void emptyEtcd() throws Exception {
		this.classes = this.work.resolve("classes");
		etcd.client().getKVClient().delete(EtcdKeys.bytes("/"), DeleteOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
	}

	@Test
	void theQuickStartCompilesStartsAndEveryCapabilityWorks(CapturedOutput output) throws Exception {
		Map<String, String> files = quickStartFiles();
		assertThat(files).containsKeys("pom.xml", "src/main/resources/application.yml");
		Map<String, String> sources = files.entrySet()
			.stream()
			.filter((file) -> file.getKey().endsWith(".java"))
			.collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
		assertThat(sources).as("Java files of the Quick start").hasSizeGreaterThanOrEqualTo(5);
		String mainClass = compile(sources);
		Files.writeString(this.classes.resolve("application.yml"), files.get("src/main/resources/application.yml"));
		put("/config/orders/greeting/message", "Hi from etcd");

		try (URLClassLoader loader = new URLClassLoader(new URL[] { this.classes.toUri().toURL() },
				getClass().getClassLoader());
				ConfigurableApplicationContext application = start(loader, mainClass)) {
			String port = application.getEnvironment().getProperty("local.server.port");
			RestClient http = RestClient.create("http://127.0.0.1:" + port);

			// configuration from etcd, at start-up and live
			assertThat(http.get().uri("/greeting").retrieve().body(String.class)).isEqualTo("Hi from etcd\n");
			put("/config/orders/greeting/message", "Changed live");
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(http.get().uri("/greeting").retrieve().body(String.class))
					.isEqualTo("Changed live\n"));

			// discovery lists this instance
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(http.get().uri("/peers").retrieve().body(String[].class))
					.singleElement()
					.asString()
					.endsWith(":" + port));

			// the leader-only job runs on the leader
			await().atMost(Duration.ofSeconds(30))
				.until(() -> application.getBean(LeaderElections.class).election("default").isLeader());
			await().atMost(Duration.ofSeconds(30))
				.until(() -> output.getOut().contains("Rebuilding the reports as the leader, fencing token"));

			// the invoices' shards: this one instance owns all 8, each under its owner key in etcd
			ShardedWorkload invoices = application.getBean(ShardedWorkloads.class).workload("invoices");
			await().atMost(Duration.ofSeconds(30)).until(() -> invoices.ownedShards().size() == 8);
			assertThat(keyCount("/shards/invoices/owners/")).isEqualTo(8);

			// the order's lock is taken in etcd: while another holder has it, the call waits behind it
			assertThat(http.post().uri("/orders/7").retrieve().body(String.class))
				.matches("Order 7 processed under fencing token \\d+\\n");
			long lease = etcd.client().getLeaseClient().grant(30).get(5, TimeUnit.SECONDS).getID();
			// etcd's own lock (as etcdctl lock takes it): the key /locks/orders%2F42/{lease}
			etcd.client().getLockClient().lock(EtcdKeys.bytes("/locks/orders%2F42"), lease).get(5, TimeUnit.SECONDS);
			CompletableFuture<String> call = CompletableFuture
				.supplyAsync(() -> http.post().uri("/orders/42").retrieve().body(String.class));
			await().atMost(Duration.ofSeconds(5)).until(() -> keyCount("/locks/orders%2F42/") == 2);
			assertThat(call).isNotDone();
			etcd.client().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
			assertThat(call.get(10, TimeUnit.SECONDS)).matches("Order 42 processed under fencing token \\d+\\n");
		}
	}

	@Test
	void thePomUsesTheVersionsThisBuildTestsWith() throws Exception {
		Document pom = parse(quickStartFiles().get("pom.xml"));
		Element parent = child(pom.getDocumentElement(), "parent");
		assertThat(text(parent, "artifactId")).isEqualTo("spring-boot-starter-parent");
		assertThat(text(parent, "version")).isEqualTo(buildProperty("quickstart.spring-boot-version"));
		List<Element> dependencies = elements(pom, "dependency");
		Element cloud = dependencies.stream()
			.filter((dependency) -> text(dependency, "artifactId").equals("spring-cloud-dependencies"))
			.findFirst()
			.orElseThrow(() -> new AssertionError("The Quick start pom.xml imports no spring-cloud-dependencies BOM"));
		assertThat(text(cloud, "version")).isEqualTo(buildProperty("quickstart.spring-cloud-version"));
		Element starter = dependencies.stream()
			.filter((dependency) -> text(dependency, "artifactId").equals("coordination-starter"))
			.findFirst()
			.orElseThrow(() -> new AssertionError("The Quick start pom.xml has no coordination-starter"));
		assertThat(text(starter, "groupId")).isEqualTo("dev.coordination");
		assertThat(text(starter, "version")).isEqualTo(buildProperty("quickstart.project-version"));

		// what the application above was compiled and run with: this module's dependencies
		Document module = parse(Files.readString(Path.of("pom.xml")));
		List<String> tested = elements(module, "dependency").stream()
			.map((dependency) -> text(dependency, "groupId") + ":" + text(dependency, "artifactId"))
			.toList();
		for (Element dependency : dependencies) {
			if (dependency.getParentNode().getParentNode().getNodeName().equals("dependencyManagement")) {
				continue;
			}
			assertThat(tested).as("dependencies of integration-tests/pom.xml, which QuickStartTests runs with")
				.contains(text(dependency, "groupId") + ":" + text(dependency, "artifactId"));
		}
	}

	private static Map<String, String> quickStartFiles() throws IOException {
		String readme = Files.readString(README, StandardCharsets.UTF_8);
		int start = readme.indexOf("\n## Quick start\n");
		assertThat(start).as("a \"## Quick start\" section in README.md").isNotNegative();
		int end = readme.indexOf("\n## ", start + 1);
		String section = readme.substring(start, (end < 0) ? readme.length() : end);
		Map<String, String> files = new LinkedHashMap<>();
		Matcher block = FENCED_BLOCK.matcher(section);
		while (block.find()) {
			String content = block.group(1);
			String firstLine = content.lines().findFirst().orElse("");
			Matcher marker = FILE_MARKER.matcher(firstLine);
			if (marker.matches()) {
				String name = (marker.group(1) != null) ? marker.group(1)
						: (marker.group(2) != null) ? marker.group(2) : marker.group(3);
				assertThat(files.put(name, content)).as("a second block for " + name).isNull();
			}
		}
		return files;
	}

	/**
	 * Compile the sources into {@link #classes} as a Maven project with Spring Boot's parent would:
	 * Java 17, with parameter names.
	 * @return the name of the {@code @SpringBootApplication} class
	 */
	private String compile(Map<String, String> sources) throws IOException {
		Path sourceRoot = Files.createDirectories(this.work.resolve("sources"));
		Files.createDirectories(this.classes);
		List<Path> paths = new ArrayList<>();
		String mainClass = null;
		for (Map.Entry<String, String> source : sources.entrySet()) {
			assertThat(source.getKey()).startsWith("src/main/java/");
			String className = source.getKey().substring("src/main/java/".length(), source.getKey().length() - 5)
				.replace('/', '.');
			assertThat(source.getValue()).as("the package of " + source.getKey())
				.contains("package " + className.substring(0, className.lastIndexOf('.')) + ";");
			if (source.getValue().contains("@SpringBootApplication")) {
				mainClass = className;
			}
			Path path = sourceRoot.resolve(source.getKey());
			Files.createDirectories(path.getParent());
			Files.writeString(path, source.getValue());
			paths.add(path);
		}
		assertThat(mainClass).as("a @SpringBootApplication class in the Quick start").isNotNull();
		JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
		DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
		try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
			List<String> options = List.of("--release", "17", "-parameters", "-proc:none", "-classpath",
					System.getProperty("java.class.path"), "-d", this.classes.toString());
			boolean compiled = compiler
				.getTask(null, files, diagnostics, options, null, files.getJavaFileObjectsFromPaths(paths))
				.call();
			assertThat(compiled).as(() -> "the Quick start compiles: " + diagnostics.getDiagnostics()
				.stream()
				.filter((diagnostic) -> diagnostic.getKind() == Diagnostic.Kind.ERROR)
				.map(Object::toString)
				.collect(Collectors.joining("\n")))
				.isTrue();
		}
		return mainClass;
	}

	private static ConfigurableApplicationContext start(ClassLoader loader, String mainClass) throws Exception {
		Thread thread = Thread.currentThread();
		ClassLoader previous = thread.getContextClassLoader();
		thread.setContextClassLoader(loader);
		try {
			return new SpringApplicationBuilder(loader.loadClass(mainClass))
				.resourceLoader(new DefaultResourceLoader(loader))
				.run("--coordination.etcd.endpoints=" + etcd.endpointsAsString(), "--server.port=0",
						"--spring.main.banner-mode=off");
		}
		finally {
			thread.setContextClassLoader(previous);
		}
	}

	private static void put(String key, String value) throws Exception {
		etcd.client().getKVClient().put(EtcdKeys.bytes(key), EtcdKeys.bytes(value)).get(5, TimeUnit.SECONDS);
	}

	private static long keyCount(String prefix) throws Exception {
		return etcd.client().getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())
			.get(5, TimeUnit.SECONDS)
			.getCount();
	}

	private static String buildProperty(String name) {
		String value = System.getProperty(name);
		assertThat(value).as("system property " + name + ", set by integration-tests/pom.xml").isNotBlank();
		return value;
	}

	private static Document parse(String xml) throws Exception {
		return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
	}

	private static List<Element> elements(Document document, String name) {
		NodeList nodes = document.getElementsByTagName(name);
		List<Element> elements = new ArrayList<>();
		for (int i = 0; i < nodes.getLength(); i++) {
			elements.add((Element) nodes.item(i));
		}
		return elements;
	}

	private static Element child(Element parent, String name) {
		for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
			if (node instanceof Element element && element.getTagName().equals(name)) {
				return element;
			}
		}
		throw new AssertionError("<" + parent.getTagName() + "> has no <" + name + ">");
	}

	private static String text(Element parent, String name) {
		return child(parent, name).getTextContent().trim();
	}

}
