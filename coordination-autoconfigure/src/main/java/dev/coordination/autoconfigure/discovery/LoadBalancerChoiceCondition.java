package dev.coordination.autoconfigure.discovery;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code coordination.etcd.discovery.load-balancer} names a chooser other than
 * Spring Cloud's default (round-robin), so that the default leaves Spring Cloud LoadBalancer as it
 * is. A value that does not bind does not match here; the properties report it at start-up.
 */
class LoadBalancerChoiceCondition extends SpringBootCondition {

	boolean matches(DiscoveryProperties.LoadBalancer choice) {
		return choice != DiscoveryProperties.LoadBalancer.ROUND_ROBIN;
	}

	static final String PROPERTY = "coordination.etcd.discovery.load-balancer";

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		DiscoveryProperties.LoadBalancer choice;
		try {
			choice = Binder.get(context.getEnvironment())
				.bind(PROPERTY, DiscoveryProperties.LoadBalancer.class)
				.orElse(DiscoveryProperties.LoadBalancer.ROUND_ROBIN);
		}
		catch (BindException ex) {
			return ConditionOutcome.noMatch(PROPERTY + " does not bind: " + ex.getMessage());
		}
		return matches(choice) ? ConditionOutcome.match(PROPERTY + " is " + choice)
				: ConditionOutcome.noMatch(PROPERTY + " is " + choice);
	}

	/**
	 * Matches when the chooser is least-connections.
	 */
	static class LeastConnections extends LoadBalancerChoiceCondition {

		@Override
		boolean matches(DiscoveryProperties.LoadBalancer choice) {
			return choice == DiscoveryProperties.LoadBalancer.LEAST_CONNECTIONS;
		}

	}

}
