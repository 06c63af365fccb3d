package dev.coordination.it;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.etcd.EtcdHealthContributorAutoConfiguration;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Application contexts with the starter's etcd auto-configuration, for tests against a real etcd.
 */
final class EtcdContexts {

	private EtcdContexts() {
	}

	static ApplicationContextRunner runner(String endpoints) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, EtcdAutoConfiguration.class,
					EtcdHealthContributorAutoConfiguration.class))
			.withPropertyValues("coordination.etcd.endpoints=" + endpoints);
	}

}
