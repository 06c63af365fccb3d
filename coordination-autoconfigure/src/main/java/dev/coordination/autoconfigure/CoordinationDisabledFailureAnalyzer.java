package dev.coordination.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.ResolvableType;
import org.springframework.core.env.Environment;

/**
 * Explains a missing bean of the starter's ({@code LeaderElections}, {@code DistributedLockRegistry},
 * {@code EtcdTemplate}, the jetcd {@code Client}, ShedLock's {@code LockProvider}, Spring
 * Integration's {@code LockRegistry} ...) when a property turned the capability off:
 * Boot's own analysis would only say that no such bean exists. Runs before Boot's analyzer of the
 * same exception; answers nothing for other types, or when nothing is turned off.
 */
class CoordinationDisabledFailureAnalyzer extends AbstractFailureAnalyzer<NoSuchBeanDefinitionException>
		implements Ordered {

	private final Environment environment;

	CoordinationDisabledFailureAnalyzer(Environment environment) {
		this.environment = environment;
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, NoSuchBeanDefinitionException cause) {
		ResolvableType beanType = cause.getResolvableType();
		Class<?> type = (beanType != null) ? beanType.resolve() : null;
		if (type == null) {
			return null;
		}
		String name = type.getName();
		if (name.startsWith("net.javacrumbs.shedlock.") || name.startsWith("org.springframework.integration.support.locks.")) {
			// the starter's LockProvider for @SchedulerLock and LockRegistry for Spring Integration
			// live with the locks
			name = "dev.coordination.lock." + name;
		}
		if (!name.startsWith("dev.coordination.") && !name.startsWith("io.etcd.jetcd.")) {
			return null;
		}
		String property = disabledBy(name);
		if (property == null) {
			return null;
		}
		String description = "A bean of type " + type.getName() + " is required, but " + property + " turns "
				+ capability(property) + " off, so the starter defines none.\n\n" + "With " + property
				+ ", @LeaderOnly methods are skipped as on an instance that is not the leader, @DistributedLocked"
				+ " methods behave as when their lock is not acquired, and @ShardedBy methods as on an instance that"
				+ " owns no shard; the beans to use elections, locks or sharded workloads directly do not exist.";
		String action = "Remove " + property + " (or set it to true) to use " + type.getSimpleName()
				+ ", or make the injection optional (ObjectProvider<" + type.getSimpleName()
				+ ">) so that the application also starts with coordination turned off.";
		return new FailureAnalysis(description, action, cause);
	}

	private @Nullable String disabledBy(String typeName) {
		if (off("coordination.enabled")) {
			return "coordination.enabled=false";
		}
		for (String capability : new String[] { "election", "lock", "discovery", "sharding" }) {
			String property = "coordination.etcd." + capability + ".enabled";
			// the package of sharding is dev.coordination.shard
			String packageName = capability.equals("sharding") ? "shard" : capability;
			if (typeName.startsWith("dev.coordination." + packageName + ".") && off(property)) {
				return property + "=false";
			}
		}
		return null;
	}

	private static String capability(String property) {
		return property.equals("coordination.enabled=false") ? "etcd coordination"
				: property.substring("coordination.etcd.".length(), property.indexOf(".enabled")) + " coordination";
	}

	private boolean off(String property) {
		return !this.environment.getProperty(property, Boolean.class, true);
	}

}
