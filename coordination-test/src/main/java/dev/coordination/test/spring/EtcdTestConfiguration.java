package dev.coordination.test.spring;

import dev.coordination.autoconfigure.etcd.EtcdConnectionDetails;
import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Configuration that starts a real etcd with {@link Etcd#start()} and connects the coordination starter
 * to it through {@link EtcdConnectionDetails}.
 * <p>
 * Use it with {@code @Import(EtcdTestConfiguration.class)} on a {@code @SpringBootTest}, or from a test
 * main method run by {@code spring-boot:test-run}:
 * {@code SpringApplication.from(MyApplication::main).with(EtcdTestConfiguration.class).run(args)}. The
 * cluster lives as long as the application context and is closed with it.
 */
@Configuration(proxyBeanMethods = false)
public class EtcdTestConfiguration {

	private static final Log logger = LogFactory.getLog(EtcdTestConfiguration.class);

	@Bean(destroyMethod = "close")
	EtcdCluster etcdCluster() {
		// the context's shutdown hook closes it after the application's last etcd calls
		EtcdCluster cluster = Etcd.start(EtcdSpec.builder().closedByOwner().build());
		logger.info("Using " + cluster.description() + " at " + cluster.endpointsAsString());
		return cluster;
	}

	@Bean
	EtcdConnectionDetails etcdConnectionDetails(EtcdCluster etcdCluster) {
		return new EtcdClusterConnectionDetails(etcdCluster);
	}

}
