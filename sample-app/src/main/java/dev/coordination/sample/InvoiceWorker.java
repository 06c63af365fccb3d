package dev.coordination.sample;

import java.util.OptionalInt;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.shard.ShardContext;
import dev.coordination.shard.ShardListener;
import dev.coordination.shard.ShardedBy;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardedWorkloads;
import dev.coordination.shard.ShardsAssignedEvent;
import dev.coordination.shard.ShardsRevokedEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.core.env.Environment;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Processes the sharded workload {@code invoices} ({@code coordination.shards.invoices.count}):
 * every few seconds, once for each shard this instance owns, it records a unit of work in etcd
 * with a fenced write under the shard's token. It also logs the shards this instance takes and
 * gives up, so a stopped or killed instance shows its shards moving to the others.
 */
@Component
class InvoiceWorker implements ShardListener {

	static final String WORKLOAD = "invoices";

	private static final Log logger = LogFactory.getLog(InvoiceWorker.class);

	private final ShardedWorkload invoices;

	private final Environment environment;

	InvoiceWorker(ShardedWorkloads workloads, Environment environment) {
		this.invoices = workloads.workload(WORKLOAD);
		this.environment = environment;
	}

	/**
	 * Runs once per owned shard (Spring's {@code @Scheduled} calls methods without parameters only,
	 * so the shard comes from {@link ShardContext}); skipped while this instance owns none.
	 */
	@Scheduled(fixedDelayString = "${sample.invoice-worker.interval:5s}")
	@ShardedBy(WORKLOAD)
	public void processInvoices() {
		OptionalInt current = ShardContext.currentShard();
		if (current.isEmpty()) {
			return; // not called through the proxy (see the README's "How the annotations work")
		}
		int shard = current.getAsInt();
		long token = ShardContext.currentToken().orElseThrow();
		// etcd applies the write only while this instance's ownership of the shard still exists
		WriteResult result = this.invoices.fencedWrite(shard,
				FencedWrite.put(key(shard), "processed by the instance on port " + this.environment.getProperty("local.server.port")
						+ " under token " + token));
		logger.info("Invoices of shard " + shard + " processed under fencing token " + token
				+ (result.applied() ? "" : ", write rejected: shard lost"));
	}

	@Override
	public void assigned(ShardsAssignedEvent event) {
		logger.info("Shards " + event.getShards() + " of '" + event.getWorkload() + "' assigned, tokens "
				+ event.getTokens().values());
	}

	@Override
	public void revoked(ShardsRevokedEvent event) {
		logger.info("Shards " + event.getShards() + " of '" + event.getWorkload() + "' revoked (" + event.getReason()
				+ ")");
	}

	static String key(int shard) {
		return "/sample/invoices/" + shard;
	}

}
