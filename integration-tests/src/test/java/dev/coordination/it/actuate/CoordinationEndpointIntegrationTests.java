package dev.coordination.it.actuate;

import java.time.Duration;

import dev.coordination.actuate.internal.CoordinationEndpoint.CoordinationDescriptor;
import dev.coordination.actuate.internal.CoordinationEndpoint;
import dev.coordination.autoconfigure.actuate.CoordinationEndpointAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /actuator/coordination} against a real etcd: what it shows of the capabilities that are
 * on, {@code null} for those that are off, and nothing without exposure.
 */
class CoordinationEndpointIntegrationTests {

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class, CoordinationEndpointAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString());

	@Test
	void showsTheSessionAndTheLocksHeldAndNullForWhatIsOff() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=coordination")
			.run((context) -> {
				CoordinationEndpoint endpoint = context.getBean(CoordinationEndpoint.class);
				await().atMost(Duration.ofSeconds(5)).until(() -> endpoint.coordination().session().valid());
				DistributedLock lock = context.getBean(DistributedLockRegistry.class).obtain("orders/42");
				lock.lock();
				try {
					CoordinationDescriptor shown = endpoint.coordination();
					assertThat(shown.session().leaseId()).isNotEmpty();
					assertThat(shown.session().ttl()).isEqualTo("PT10S");
					assertThat(shown.locks()).singleElement().satisfies((held) -> {
						assertThat(held.key()).isEqualTo("orders/42");
						assertThat(held.kind()).isEqualTo("LOCK");
						assertThat(held.token()).isEqualTo(lock.fencingToken().getAsLong());
					});
					assertThat(shown.elections()).isNull();
					assertThat(shown.discovery()).isNull();
					assertThat(shown.config()).isNull();
				}
				finally {
					lock.unlock();
				}
				assertThat(endpoint.coordination().locks()).isEmpty();
			});
	}

	@Test
	void isNotThereWhenNotExposed() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(CoordinationEndpoint.class));
	}

}
