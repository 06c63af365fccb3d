package dev.coordination.it.shard.process;

import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.it.process.ChildSide;
import dev.coordination.it.process.ShardWorker;
import dev.coordination.shard.ShardedWorkloads;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * An application instance run as a child JVM by {@link ShardProcessIT}: takes part in the sharded
 * workload {@value #WORKLOAD} ({@code coordination.shards.work.count}, set by the test) and works on
 * each shard it owns through a {@link ShardWorker}, which prints its lines and records its intervals
 * under {@value #PREFIX}. Prints {@code READY <instanceId> <pid>} once started. The child exits when
 * its stdin reaches end of file, so that it does not outlive the test JVM.
 */
@SpringBootApplication(proxyBeanMethods = false)
public class ShardChildApplication {

	static final String WORKLOAD = "work";

	static final String PREFIX = "/shard-work/";

	static final long WORK_MILLIS = 300;

	public static void main(String[] args) {
		ChildSide.exitWhenParentGone();
		SpringApplication application = new SpringApplication(ShardChildApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		// every thread of the starter is a daemon: keep the JVM running until it is stopped
		application.setKeepAlive(true);
		application.run(args);
	}

	@Bean
	ShardWorker shardWorker(ShardedWorkloads workloads, EtcdTemplate etcd,
			@Value("${coordination.etcd.instance.id}") String instanceId) {
		return new ShardWorker(workloads.workload(WORKLOAD), "/shards/" + WORKLOAD + "/owners/", etcd, instanceId,
				PREFIX, WORK_MILLIS);
	}

	@Bean
	ApplicationRunner ready(@Value("${coordination.etcd.instance.id}") String instanceId) {
		return (arguments) -> ChildSide.print("READY " + instanceId + " " + ProcessHandle.current().pid());
	}

}
