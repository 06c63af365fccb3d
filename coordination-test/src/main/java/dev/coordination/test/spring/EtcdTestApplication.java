package dev.coordination.test.spring;

import java.util.ArrayList;
import java.util.List;

import dev.coordination.test.Etcd;
import dev.coordination.test.EtcdCluster;
import dev.coordination.test.EtcdSpec;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;

/**
 * Runs an application against an etcd started for it, from a test main method run by
 * {@code spring-boot:test-run}: {@code EtcdTestApplication.run(new SpringApplication(MyApplication.class), args)}.
 * <p>
 * Unlike {@link EtcdTestConfiguration}, etcd starts before the application, and its endpoints are
 * given as the command-line property {@code coordination.etcd.endpoints}, so that
 * {@code spring.config.import=etcd:}, which runs before any bean exists, reads from it too. The
 * cluster is a bean of the application and is closed with it, after the application's last etcd
 * calls; it is closed at once when the application fails to start.
 */
public final class EtcdTestApplication {

	private static final Log logger = LogFactory.getLog(EtcdTestApplication.class);

	private EtcdTestApplication() {
	}

	/**
	 * Start etcd, then the application.
	 * @param application the application
	 * @param args its command-line arguments
	 * @return the running application
	 */
	public static ConfigurableApplicationContext run(SpringApplication application, String... args) {
		EtcdCluster cluster = Etcd.start(EtcdSpec.builder().closedByOwner().build());
		logger.info("Using " + cluster.description() + " at " + cluster.endpointsAsString());
		application.addInitializers((context) -> {
			if (context instanceof GenericApplicationContext generic) {
				generic.registerBean("etcdCluster", EtcdCluster.class, () -> cluster,
						(definition) -> definition.setDestroyMethodName("close"));
			}
		});
		List<String> arguments = new ArrayList<>(List.of(args));
		arguments.add("--coordination.etcd.endpoints=" + cluster.endpointsAsString());
		try {
			return application.run(arguments.toArray(String[]::new));
		}
		catch (RuntimeException ex) {
			cluster.close();
			throw ex;
		}
	}

}
