package dev.coordination.test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.lifecycle.Startables;

/**
 * An etcd cluster whose members are Docker containers started through Testcontainers.
 * <p>
 * Members publish their client and metrics ports on fixed free host ports, so that
 * {@code docker stop} and {@code docker start} of the same container keep the endpoints and the data;
 * multi-member clusters share a {@link Network} on which members are called {@code m0..mN}. Faults map
 * to Docker: pause and resume are {@code docker pause}/{@code unpause}, kill is {@code docker kill},
 * stop is {@code docker stop} (10 s grace) and start is {@code docker start}. {@link #close()} removes
 * the containers and the network; Testcontainers' Ryuk removes them if the JVM is killed. Thread-safe.
 */
final class DockerEtcdCluster extends AbstractEtcdCluster {

	private static final Log logger = LogFactory.getLog(DockerEtcdCluster.class);

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

	private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

	private final String image;

	private final boolean tls;

	private final Network network;

	private final List<DockerMember> members;

	private final List<EtcdMember> memberView;

	private DockerEtcdCluster(String image, EtcdSpec spec) {
		this.image = image;
		this.tls = spec.tls() != null;
		int size = spec.members();
		this.network = (size > 1) ? Network.newNetwork() : null;
		List<String> names = new ArrayList<>(size);
		for (int i = 0; i < size; i++) {
			names.add("m" + i);
		}
		String token = "coordination-" + UUID.randomUUID();
		List<DockerMember> members = new ArrayList<>(size);
		for (String name : names) {
			int[] ports = EtcdSupport.freePorts(2);
			EtcdContainer container = new EtcdContainer(image).withTls(spec.tls())
				.withEtcdArgs(spec.args().toArray(String[]::new))
				.withFixedHostPorts(ports[0], ports[1])
				.withStartupTimeout(STARTUP_TIMEOUT);
			if (this.network != null) {
				container.withNetwork(this.network).withClusterMember(name, names, token);
			}
			members.add(new DockerMember(name, container, ports[0], ports[1]));
		}
		this.members = List.copyOf(members);
		this.memberView = List.copyOf(members);
	}

	/**
	 * Start the containers together (members of a cluster only become healthy once a quorum runs) and
	 * wait until each is healthy.
	 * @param image the etcd image
	 * @param spec what is needed
	 * @return the healthy cluster
	 * @throws IllegalStateException if a container does not start, with the members' log tails
	 */
	static DockerEtcdCluster start(String image, EtcdSpec spec) {
		DockerEtcdCluster cluster = new DockerEtcdCluster(image, spec);
		OpenClusters.add(cluster);
		try {
			Startables.deepStart(cluster.members.stream().map(DockerMember::container).toList()).join();
			logger.debug("Started " + cluster);
			return cluster;
		}
		catch (RuntimeException ex) {
			Throwable cause = (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
			String tails = cluster.logTails();
			cluster.close();
			throw new IllegalStateException("etcd containers did not start: " + cluster.description() + tails, cause);
		}
	}

	@Override
	public List<EtcdMember> members() {
		return this.memberView;
	}

	@Override
	public String description() {
		return "Docker image " + this.image + ", " + this.members.size()
				+ ((this.members.size() == 1) ? " member" : " members");
	}

	@Override
	boolean isHealthy(EtcdMember member) {
		return EtcdSupport.isHealthy(((DockerMember) member).metricsUrl("/health"));
	}

	@Override
	boolean isTls() {
		return this.tls;
	}

	@Override
	void doClose() {
		for (DockerMember member : this.members) {
			try {
				// a paused container cannot be killed or removed by every Docker version
				member.resume();
			}
			catch (RuntimeException ex) {
				logger.debug("Cannot unpause " + member.name(), ex);
			}
			try {
				member.container().stop();
			}
			catch (RuntimeException ex) {
				logger.warn("Cannot remove the container of etcd member " + member.name(), ex);
			}
		}
		if (this.network != null) {
			try {
				this.network.close();
			}
			catch (RuntimeException ex) {
				logger.warn("Cannot remove Docker network " + this.network.getId(), ex);
			}
		}
	}

	private static DockerClient docker() {
		return DockerClientFactory.instance().client();
	}

	/**
	 * A member running in its own container, restarted as the same container.
	 */
	private final class DockerMember extends LaunchedMember {

		private final String name;

		private final EtcdContainer container;

		private final int clientPort;

		private final int metricsPort;

		DockerMember(String name, EtcdContainer container, int clientPort, int metricsPort) {
			super(STARTUP_TIMEOUT);
			this.name = name;
			this.container = container;
			this.clientPort = clientPort;
			this.metricsPort = metricsPort;
		}

		EtcdContainer container() {
			return this.container;
		}

		@Override
		URI metricsUrl(String path) {
			return URI.create("http://" + this.container.getHost() + ":" + this.metricsPort + path);
		}

		@Override
		public String name() {
			return this.name;
		}

		@Override
		public URI clientEndpoint() {
			return URI.create((DockerEtcdCluster.this.tls ? "https" : "http") + "://" + this.container.getHost() + ":"
					+ this.clientPort);
		}

		private InspectContainerResponse.ContainerState state() {
			String id = this.container.getContainerId();
			if (id == null) {
				return null;
			}
			try {
				return docker().inspectContainerCmd(id).exec().getState();
			}
			catch (NotFoundException ex) {
				return null;
			}
		}

		@Override
		void launch() {
			docker().startContainerCmd(id()).exec();
		}

		private String id() {
			String id = this.container.getContainerId();
			if (id == null) {
				throw new IllegalStateException("etcd member " + this.name + " has no container");
			}
			return id;
		}

		@Override
		public boolean isRunning() {
			InspectContainerResponse.ContainerState state = state();
			return state != null && Boolean.TRUE.equals(state.getRunning());
		}

		@Override
		public boolean isPaused() {
			InspectContainerResponse.ContainerState state = state();
			return state != null && Boolean.TRUE.equals(state.getRunning()) && Boolean.TRUE.equals(state.getPaused());
		}

		@Override
		public long pid() {
			return -1;
		}

		@Override
		public synchronized void stop() {
			if (!isRunning()) {
				return;
			}
			resume();
			docker().stopContainerCmd(id()).withTimeout((int) STOP_TIMEOUT.toSeconds()).exec();
			awaitNotRunning();
		}

		@Override
		public synchronized void kill() {
			if (!isRunning()) {
				return;
			}
			// older Docker versions refuse to kill a paused container
			resume();
			docker().killContainerCmd(id()).exec();
			awaitNotRunning();
		}

		private void awaitNotRunning() {
			if (!EtcdSupport.pollUntil(STOP_TIMEOUT, () -> !isRunning())) {
				throw new IllegalStateException("etcd member " + this.name + " did not stop within " + STOP_TIMEOUT);
			}
		}

		@Override
		public synchronized void pause() {
			if (!isRunning()) {
				throw new IllegalStateException("etcd member " + this.name + " is not running");
			}
			if (!isPaused()) {
				docker().pauseContainerCmd(id()).exec();
			}
		}

		@Override
		public synchronized void resume() {
			if (isPaused()) {
				docker().unpauseContainerCmd(id()).exec();
			}
		}

		@Override
		public String logTail(int lines) {
			if (this.container.getContainerId() == null) {
				return "";
			}
			try {
				List<String> all = this.container.getLogs().lines().toList();
				return String.join("\n", all.subList(Math.max(0, all.size() - Math.max(0, lines)), all.size()));
			}
			catch (RuntimeException ex) {
				return "(cannot read the container log: " + ex + ")";
			}
		}

		@Override
		public String toString() {
			return this.name + " " + clientEndpoint() + " (container " + this.container.getContainerId() + ")";
		}

	}

}
