package dev.coordination.integration.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import dev.coordination.election.LeaderElections;
import dev.coordination.etcd.internal.CoordinationThreads;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.SmartLifecycle;
import org.springframework.integration.context.IntegrationContextUtils;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.leader.Context;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.integration.leader.event.LeaderEventPublisher;
import org.springframework.integration.support.SmartLifecycleRoleController;
import org.springframework.util.ReflectionUtils;
import org.springframework.util.StringUtils;

/**
 * The {@link EtcdLeaderInitiator}s of an application, one per role, decided once every bean
 * exists: the role of every {@link Candidate} bean, and every role of the endpoints that Spring
 * Integration's {@link SmartLifecycleRoleController} knows and no candidate bean covers (with a
 * {@link DefaultCandidate}), or only those listed when the roles are restricted. A role that a
 * leader initiator bean of the application's own leads (a {@code LockRegistryLeaderInitiator}, or
 * any bean with Spring Integration's {@code getContext()}) is left to it.
 * <p>
 * Start-up fails, naming the role, on a role that endpoints have and nothing would ever campaign
 * for (the roles were restricted), on a candidate bean without a role, and on a restricted role
 * that a leader initiator bean of the application leads too. Endpoints registered later (flows
 * added at run time) start only with a grant made after they were registered.
 */
public class EtcdLeaderInitiators implements SmartInitializingSingleton, SmartLifecycle, DisposableBean {

	private static final Log logger = LogFactory.getLog(EtcdLeaderInitiators.class);

	private final LeaderElections elections;

	private final ListableBeanFactory beanFactory;

	private final @Nullable List<String> roles;

	private final String rolesProperty;

	private final Supplier<LeaderEventPublisher> publisher;

	private final ExecutorService yielding = Executors
		.newSingleThreadExecutor(CoordinationThreads.daemon("coordination-integration-yield"));

	private volatile Map<String, EtcdLeaderInitiator> initiators = Map.of();

	private volatile boolean running;

	/**
	 * Create the initiators' owner.
	 * @param elections the elections
	 * @param beanFactory where to find candidates, endpoints and initiators of the application's own
	 * @param roles the roles that get a {@link DefaultCandidate} when no candidate bean covers them,
	 * or {@code null} for every role of the endpoints
	 * @param rolesProperty the property that restricts the roles, named in errors
	 * @param publisher where to publish leadership events, resolved once every bean exists
	 */
	public EtcdLeaderInitiators(LeaderElections elections, ListableBeanFactory beanFactory, @Nullable List<String> roles,
			String rolesProperty, Supplier<LeaderEventPublisher> publisher) {
		this.elections = elections;
		this.beanFactory = beanFactory;
		this.roles = roles;
		this.rolesProperty = rolesProperty;
		this.publisher = publisher;
	}

	/**
	 * The initiators, by role.
	 * @return the initiators, empty until every bean exists
	 */
	public Map<String, EtcdLeaderInitiator> initiators() {
		return this.initiators;
	}

	@Override
	public void afterSingletonsInstantiated() {
		Map<String, String> claimed = claimedRoles();
		Map<String, List<Candidate>> candidates = candidateBeans(claimed);
		Map<String, Set<String>> endpoints = endpointsByRole();
		Set<String> automatic = new TreeSet<>();
		if (this.roles == null) {
			endpoints.keySet().stream().filter((role) -> !claimed.containsKey(role)).forEach(automatic::add);
		}
		else {
			for (String role : this.roles) {
				if (claimed.containsKey(role)) {
					throw new IllegalStateException("Role '" + role + "' is listed in " + this.rolesProperty
							+ ", and bean '" + claimed.get(role) + "' is a leader initiator of that role already: remove"
							+ " the role from " + this.rolesProperty + ", or that bean");
				}
				automatic.add(role);
			}
			endpoints.forEach((role, names) -> {
				if (!claimed.containsKey(role) && !candidates.containsKey(role) && !automatic.contains(role)) {
					throw new IllegalStateException("Spring Integration role '" + role + "' has endpoints " + names
							+ " that would never start: nothing campaigns for it, because " + this.rolesProperty + " is "
							+ this.roles + ". Add '" + role + "' to " + this.rolesProperty
							+ ", or define a Candidate bean of that role");
				}
			});
		}
		automatic.forEach((role) -> candidates.computeIfAbsent(role,
				(name) -> List.of(new DefaultCandidate(UUID.randomUUID().toString(), name))));
		LeaderEventPublisher eventPublisher = this.publisher.get();
		Map<String, EtcdLeaderInitiator> created = new LinkedHashMap<>();
		candidates.forEach((role, roleCandidates) -> created.put(role, new EtcdLeaderInitiator(role,
				this.elections.election(role), roleCandidates, eventPublisher, this.yielding)));
		this.initiators = created;
		claimed.forEach((role, beanName) -> logger.info("Role '" + role + "' is left to leader initiator bean '"
				+ beanName + "'"));
		if (!created.isEmpty()) {
			logger.info("Leading Spring Integration roles " + created.keySet() + " through etcd elections of the same names");
		}
		warnAboutAutoStartup(endpoints, created.keySet());
	}

	/**
	 * Roles that leader initiator beans of the application's own lead, with the bean's name: Spring
	 * Integration's initiators tell their role through {@code getContext().getRole()}.
	 */
	private Map<String, String> claimedRoles() {
		Map<String, String> claimed = new TreeMap<>();
		for (String name : this.beanFactory.getBeanNamesForType(SmartLifecycle.class, false, false)) {
			Class<?> type = this.beanFactory.getType(name);
			Method getContext = (type != null) ? ReflectionUtils.findMethod(type, "getContext") : null;
			if (getContext == null || !Modifier.isPublic(getContext.getModifiers())
					|| !Context.class.isAssignableFrom(getContext.getReturnType())) {
				continue;
			}
			Object bean = this.beanFactory.getBean(name);
			if (bean instanceof EtcdLeaderInitiator) {
				continue;
			}
			Context context = (Context) ReflectionUtils.invokeMethod(getContext, bean);
			String role = (context != null) ? context.getRole() : null;
			if (StringUtils.hasText(role)) {
				claimed.putIfAbsent(role, name);
			}
			else {
				logger.warn("Cannot tell the role of leader initiator bean '" + name + "': its role may be led twice");
			}
		}
		return claimed;
	}

	private Map<String, List<Candidate>> candidateBeans(Map<String, String> claimed) {
		Map<String, List<Candidate>> candidates = new TreeMap<>();
		this.beanFactory.getBeansOfType(Candidate.class, false, false).forEach((name, candidate) -> {
			String role = candidate.getRole();
			if (!StringUtils.hasText(role)) {
				throw new IllegalStateException("Candidate bean '" + name + "' has no role (" + ((role == null) ? "null"
						: "'" + role + "'") + "): its role names the etcd election it campaigns in, and must not be empty");
			}
			if (!claimed.containsKey(role)) {
				candidates.computeIfAbsent(role, (key) -> new ArrayList<>()).add(candidate);
			}
		});
		return candidates;
	}

	private Map<String, Set<String>> endpointsByRole() {
		Map<String, Set<String>> endpoints = new TreeMap<>();
		SmartLifecycleRoleController controller = roleController();
		if (controller != null) {
			for (String role : controller.getRoles()) {
				Collection<String> names = controller.getEndpointsRunningStatus(role).keySet();
				if (!names.isEmpty()) {
					endpoints.put(role, new TreeSet<>(names));
				}
			}
		}
		return endpoints;
	}

	private @Nullable SmartLifecycleRoleController roleController() {
		String name = IntegrationContextUtils.INTEGRATION_LIFECYCLE_ROLE_CONTROLLER;
		if (this.beanFactory.containsBean(name)) {
			return this.beanFactory.getBean(name, SmartLifecycleRoleController.class);
		}
		return this.beanFactory.getBeanProvider(SmartLifecycleRoleController.class).getIfUnique();
	}

	private void warnAboutAutoStartup(Map<String, Set<String>> endpoints, Set<String> led) {
		endpoints.forEach((role, names) -> {
			if (!led.contains(role)) {
				return;
			}
			for (String name : names) {
				if (this.beanFactory.containsBean(name) && this.beanFactory.isTypeMatch(name, SmartLifecycle.class)
						&& this.beanFactory.getBean(name, SmartLifecycle.class).isAutoStartup()) {
					logger.warn("Endpoint '" + name + "' of role '" + role + "' starts with the application on every"
							+ " instance: set its autoStartup to false, so that only the leader of the role runs it");
				}
			}
		});
	}

	@Override
	public void start() {
		this.running = true;
		this.initiators.values().forEach(EtcdLeaderInitiator::start);
	}

	@Override
	public void stop() {
		this.initiators.values().forEach(EtcdLeaderInitiator::stop);
		this.running = false;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return EtcdLeaderInitiator.PHASE;
	}

	@Override
	public void destroy() {
		this.yielding.shutdownNow();
	}

}
