package dev.coordination.test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Testcontainers container running one etcd member, alone or as part of a cluster on a shared
 * {@link org.testcontainers.containers.Network}.
 * <p>
 * The image is {@code ETCD_IMAGE} or {@value #DEFAULT_IMAGE}; any image with {@code etcd} on its
 * {@code PATH} works. The container exposes the client port {@value #CLIENT_PORT} and the metrics port
 * {@value #METRICS_PORT}, and is ready when {@code /health} on the metrics port answers
 * {@code "health":"true"}. A standalone container can be used with
 * {@code @ServiceConnection} (see {@code EtcdContainerConnectionDetailsFactory}). With
 * {@link #withFixedHostPorts(int, int)}, stopping and starting the same container through Docker keeps
 * its endpoints and its data. Configure it before {@link #start()}; not thread-safe while configuring.
 */
public class EtcdContainer extends GenericContainer<EtcdContainer> {

	/**
	 * Image used when {@code ETCD_IMAGE} is not set.
	 */
	public static final String DEFAULT_IMAGE = "quay.io/coreos/etcd:v3.5.17";

	/**
	 * Client port inside the container.
	 */
	public static final int CLIENT_PORT = 2379;

	/**
	 * Peer port inside the container.
	 */
	public static final int PEER_PORT = 2380;

	/**
	 * Metrics and health port inside the container.
	 */
	public static final int METRICS_PORT = 2381;

	private static final String DATA_DIR = "/var/lib/coordination-etcd/data";

	private static final String TLS_DIR = "/etc/coordination-etcd/tls/";

	private String memberName = "m0";

	private List<String> clusterMembers = List.of();

	private String clusterToken = "coordination-etcd";

	private EtcdSpec.Tls tls;

	private final List<String> etcdArgs = new ArrayList<>();

	/**
	 * Container of {@code ETCD_IMAGE}, or of {@value #DEFAULT_IMAGE} when it is not set.
	 */
	public EtcdContainer() {
		this(imageFromEnvironment());
	}

	/**
	 * Container of the given image.
	 * @param image the image name, for example {@code quay.io/coreos/etcd:v3.5.17}
	 */
	public EtcdContainer(String image) {
		this(DockerImageName.parse(image));
	}

	/**
	 * Container of the given image.
	 * @param image the image name
	 */
	public EtcdContainer(DockerImageName image) {
		super(image);
		withExposedPorts(CLIENT_PORT, METRICS_PORT);
		waitingFor(Wait.forHttp("/health")
			.forPort(METRICS_PORT)
			.forStatusCode(200)
			.forResponsePredicate((body) -> body.replace(" ", "").contains("\"health\":\"true\""))
			.withStartupTimeout(Duration.ofSeconds(60)));
	}

	static String imageFromEnvironment() {
		String image = System.getenv(Etcd.IMAGE_ENV);
		return (image != null && !image.isBlank()) ? image.trim() : DEFAULT_IMAGE;
	}

	/**
	 * Make this container one member of a cluster whose members reach each other by network alias; the
	 * member name is added as a network alias. Put every member on the same network.
	 * @param name this member's name, one of {@code members}
	 * @param members the names of all members
	 * @param token the initial cluster token, the same for every member
	 * @return this container
	 */
	public EtcdContainer withClusterMember(String name, List<String> members, String token) {
		Objects.requireNonNull(name, "name must not be null");
		Objects.requireNonNull(token, "token must not be null");
		if (!members.contains(name)) {
			throw new IllegalArgumentException(name + " is not one of " + members);
		}
		this.memberName = name;
		this.clusterMembers = List.copyOf(members);
		this.clusterToken = token;
		return withNetworkAliases(name);
	}

	/**
	 * Serve clients over TLS: the PEM files are copied into the container.
	 * @param tls the TLS material
	 * @return this container
	 */
	public EtcdContainer withTls(EtcdSpec.Tls tls) {
		this.tls = tls;
		if (tls != null) {
			withCopyFileToContainer(MountableFile.forHostPath(tls.certFile(), 0644), TLS_DIR + "server.crt");
			withCopyFileToContainer(MountableFile.forHostPath(tls.keyFile(), 0644), TLS_DIR + "server.key");
			if (tls.trustedCaFile() != null) {
				withCopyFileToContainer(MountableFile.forHostPath(tls.trustedCaFile(), 0644), TLS_DIR + "ca.crt");
			}
		}
		return this;
	}

	/**
	 * Extra etcd command line arguments, added after the generated ones.
	 * @param args the arguments
	 * @return this container
	 */
	public EtcdContainer withEtcdArgs(String... args) {
		this.etcdArgs.addAll(Arrays.asList(args));
		return this;
	}

	/**
	 * Publish the client and metrics ports on fixed host ports instead of random ones, so that the
	 * endpoints survive a {@code docker stop} and {@code docker start} of this container.
	 * @param clientPort host port for {@value #CLIENT_PORT}
	 * @param metricsPort host port for {@value #METRICS_PORT}
	 * @return this container
	 */
	public EtcdContainer withFixedHostPorts(int clientPort, int metricsPort) {
		return withCreateContainerCmdModifier((cmd) -> cmd.getHostConfig()
			.withPortBindings(new PortBinding(Ports.Binding.bindPort(clientPort), ExposedPort.tcp(CLIENT_PORT)),
					new PortBinding(Ports.Binding.bindPort(metricsPort), ExposedPort.tcp(METRICS_PORT))));
	}

	/**
	 * Member name.
	 * @return the name, {@code m0} unless part of a cluster
	 */
	public String getMemberName() {
		return this.memberName;
	}

	/**
	 * Whether clients must use TLS.
	 * @return whether {@link #withTls} was given material
	 */
	public boolean isTls() {
		return this.tls != null;
	}

	/**
	 * Client endpoint reachable from the host, once started.
	 * @return {@code http://host:port} or {@code https://host:port}
	 */
	public URI clientEndpoint() {
		return URI.create(clientScheme() + "://" + getHost() + ":" + getMappedPort(CLIENT_PORT));
	}

	/**
	 * Metrics endpoint reachable from the host, once started; serves {@code /health} and {@code /metrics}.
	 * @return {@code http://host:port}
	 */
	public URI metricsEndpoint() {
		return URI.create("http://" + getHost() + ":" + getMappedPort(METRICS_PORT));
	}

	@Override
	protected void configure() {
		setCommand(command().toArray(String[]::new));
	}

	List<String> command() {
		String scheme = clientScheme();
		List<String> command = new ArrayList<>(List.of("etcd", "--name", this.memberName, "--data-dir", DATA_DIR,
				"--listen-client-urls", scheme + "://0.0.0.0:" + CLIENT_PORT, "--listen-metrics-urls",
				"http://0.0.0.0:" + METRICS_PORT));
		if (this.clusterMembers.isEmpty()) {
			// the advertised client URL only matters to clients inside the network: use the newest alias
			List<String> aliases = getNetworkAliases();
			String host = aliases.isEmpty() ? "localhost" : aliases.get(aliases.size() - 1);
			String peerUrl = "http://127.0.0.1:" + PEER_PORT;
			command.addAll(List.of("--advertise-client-urls", scheme + "://" + host + ":" + CLIENT_PORT,
					"--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster",
					this.memberName + "=" + peerUrl));
		}
		else {
			command.addAll(List.of("--advertise-client-urls", scheme + "://" + this.memberName + ":" + CLIENT_PORT,
					"--listen-peer-urls", "http://0.0.0.0:" + PEER_PORT, "--initial-advertise-peer-urls",
					"http://" + this.memberName + ":" + PEER_PORT, "--initial-cluster",
					this.clusterMembers.stream()
						.map((member) -> member + "=http://" + member + ":" + PEER_PORT)
						.collect(Collectors.joining(","))));
		}
		command.addAll(List.of("--initial-cluster-token", this.clusterToken, "--initial-cluster-state", "new"));
		if (this.tls != null) {
			command.addAll(List.of("--cert-file", TLS_DIR + "server.crt", "--key-file", TLS_DIR + "server.key"));
			if (this.tls.trustedCaFile() != null) {
				command.addAll(List.of("--trusted-ca-file", TLS_DIR + "ca.crt"));
			}
			if (this.tls.clientCertAuth()) {
				command.add("--client-cert-auth");
			}
		}
		command.addAll(this.etcdArgs);
		return command;
	}

	private String clientScheme() {
		return (this.tls != null) ? "https" : "http";
	}

}
