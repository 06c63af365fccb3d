package dev.coordination.it.discovery.process;

import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.coordination.discovery.DiscoveryListener;
import dev.coordination.discovery.InstanceAddedEvent;
import dev.coordination.discovery.InstanceRemovedEvent;
import dev.coordination.discovery.InstanceUpdatedEvent;
import dev.coordination.discovery.ServiceDiscovery;
import dev.coordination.discovery.ServiceRecord;
import dev.coordination.discovery.internal.EtcdServiceRegistration;
import dev.coordination.it.process.ChildSide;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;

/**
 * An application instance run as a child JVM by {@link DiscoveryProcessIT}: fully
 * auto-configured, without a web server, so it registers itself in service discovery because the
 * test sets {@code coordination.etcd.instance.port}. It reports on stdout, one machine-readable
 * line per event:
 * <ul>
 * <li>{@code READY <instanceId> <pid> registered} once its readiness is {@code ACCEPTING_TRAFFIC}
 * and its registration is in etcd ({@code not-registered} instead when that took more than 10 s);</li>
 * <li>{@code PEERS <id,id,...>} whenever the instance ids its own {@link ServiceDiscovery} returns
 * for its service ({@code spring.application.name}) change, {@code PEERS -} for none;</li>
 * <li>{@code CLOSING <nanoTime>} when Spring starts closing the context, for example after
 * SIGTERM.</li>
 * </ul>
 * The child exits when its stdin reaches end of file, so that it does not outlive the test JVM.
 */
@SpringBootApplication(proxyBeanMethods = false)
public class DiscoveryChildApplication {

	public static void main(String[] args) {
		ChildSide.exitWhenParentGone();
		SpringApplication application = new SpringApplication(DiscoveryChildApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		// every thread of the starter is a daemon: keep the JVM running until it is stopped
		application.setKeepAlive(true);
		application.run(args);
	}

	@Bean
	PeerReporter peerReporter(ServiceDiscovery discovery, EtcdServiceRegistration registration,
			@Value("${spring.application.name}") String serviceId,
			@Value("${coordination.etcd.instance.id}") String instanceId) {
		return new PeerReporter(discovery, registration, serviceId, instanceId);
	}

	/**
	 * Prints {@code READY} and every change of the instances this application sees of its own
	 * service.
	 */
	static class PeerReporter implements DiscoveryListener {

		private final ServiceDiscovery discovery;

		private final EtcdServiceRegistration registration;

		private final String serviceId;

		private final String instanceId;

		private String lastPeers;

		PeerReporter(ServiceDiscovery discovery, EtcdServiceRegistration registration, String serviceId,
				String instanceId) {
			this.discovery = discovery;
			this.registration = registration;
			this.serviceId = serviceId;
			this.instanceId = instanceId;
		}

		@EventListener
		void readiness(AvailabilityChangeEvent<ReadinessState> event) {
			if (event.getState() != ReadinessState.ACCEPTING_TRAFFIC) {
				return;
			}
			// the auto-registration writes on the same event, in an undefined order with this
			// listener: wait for the record on a thread of its own, bounded, rather than block the event
			Thread ready = new Thread(this::awaitRegisteredThenReport, "child-ready");
			ready.setDaemon(true);
			ready.start();
		}

		private void awaitRegisteredThenReport() {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
			try {
				while (!this.registration.isRegistered() && System.nanoTime() - deadline < 0) {
					TimeUnit.MILLISECONDS.sleep(10);
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			ChildSide.print("READY " + this.instanceId + " " + ProcessHandle.current().pid() + " "
					+ (this.registration.isRegistered() ? "registered" : "not-registered"));
			// listen first, then print the current state: a change in between is printed twice, never lost
			this.discovery.addListener(this);
			report();
		}

		@EventListener
		void closing(ContextClosedEvent event) {
			ChildSide.print("CLOSING " + System.nanoTime());
		}

		@Override
		public void added(InstanceAddedEvent event) {
			report();
		}

		@Override
		public void removed(InstanceRemovedEvent event) {
			report();
		}

		@Override
		public void updated(InstanceUpdatedEvent event) {
			report();
		}

		private synchronized void report() {
			String peers = this.discovery.instances(this.serviceId)
				.stream()
				.map(ServiceRecord::instanceId)
				.collect(Collectors.joining(","));
			if (peers.isEmpty()) {
				peers = "-";
			}
			if (!peers.equals(this.lastPeers)) {
				this.lastPeers = peers;
				ChildSide.print("PEERS " + peers);
			}
		}

	}

}
