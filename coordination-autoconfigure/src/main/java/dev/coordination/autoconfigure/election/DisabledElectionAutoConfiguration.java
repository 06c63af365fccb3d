package dev.coordination.autoconfigure.election;

import dev.coordination.autoconfigure.CoordinationProxyRegistrar;
import dev.coordination.autoconfigure.DisabledMethodsReport;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.internal.DisabledLeaderElections;
import dev.coordination.election.internal.LeaderOnlyAdvisor;
import dev.coordination.election.internal.LeaderOnlyBeanPostProcessor;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * leader election turned off ({@code coordination.enabled=false} or
 * {@code coordination.etcd.election.enabled=false}): this instance never leads. {@code @LeaderOnly}
 * methods are still checked when their bean is created, and every call is skipped (or throws
 * {@code NotLeaderException}) as on an instance that is not the leader, never run on every
 * instance; one warning at start-up names them. {@code @LeaderLifecycle} beans are never started.
 * No {@code LeaderElections} bean exists.
 */
@AutoConfiguration(after = ElectionAutoConfiguration.class)
@Conditional(DisabledElectionAutoConfiguration.ElectionsOff.class)
@Import(CoordinationProxyRegistrar.class)
public final class DisabledElectionAutoConfiguration {

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static LeaderOnlyAdvisor disabledLeaderOnlyAdvisor(Environment environment) {
		DisabledLeaderElections elections = new DisabledLeaderElections(disabledBy(environment));
		return new LeaderOnlyAdvisor(() -> elections);
	}

	@Bean
	static LeaderOnlyBeanPostProcessor disabledLeaderOnlyBeanPostProcessor(Environment environment) {
		DisabledLeaderElections elections = new DisabledLeaderElections(disabledBy(environment));
		return new LeaderOnlyBeanPostProcessor(() -> elections);
	}

	@Bean
	static DisabledMethodsReport disabledLeaderOnlyMethods(Environment environment) {
		return new DisabledMethodsReport(LeaderOnly.class, true, disabledBy(environment),
				"never run on this instance (every call is skipped, or throws NotLeaderException with"
						+ " onNotLeader = THROW, as on an instance that is not the leader)");
	}

	static String disabledBy(Environment environment) {
		return environment.getProperty("coordination.enabled", Boolean.class, true)
				? "coordination.etcd.election.enabled=false" : "coordination.enabled=false";
	}

	static final class ElectionsOff extends AnyNestedCondition {

		ElectionsOff() {
			super(ConfigurationPhase.PARSE_CONFIGURATION);
		}

		@ConditionalOnBooleanProperty(name = "coordination.enabled", havingValue = false)
		static final class CoordinationOff {

		}

		@ConditionalOnBooleanProperty(name = "coordination.etcd.election.enabled", havingValue = false)
		static final class ElectionOff {

		}

	}

}
