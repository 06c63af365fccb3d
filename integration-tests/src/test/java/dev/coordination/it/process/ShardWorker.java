package dev.coordination.it.process;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.shard.ShardListener;
import dev.coordination.shard.ShardedWorkload;
import dev.coordination.shard.ShardsAssignedEvent;
import dev.coordination.shard.ShardsRevokedEvent;
import io.etcd.jetcd.KeyValue;

/**
 * The child side of the sharded-work checks: a {@link ShardListener} that, for each shard of one
 * workload this instance owns, runs a thread doing units of work and records each unit as an
 * interval in etcd with a fenced write through {@link ShardedWorkload#fencedWrite}, and prints one
 * machine-readable line per event ({@code System.nanoTime()} is one clock for all processes of a
 * Linux host; {@link ShardWork} reads them back):
 * <ul>
 * <li>{@code SHARD-ASSIGNED <shard> <token> <nanoTime>}, {@code SHARD-REVOKED <shard> <token> <reason>
 * <nanoTime>};</li>
 * <li>per unit of work: {@code WORK-OK <shard> <token> <start> <end> <seq> <revision>},
 * {@code WORK-REJECTED <shard> <token> <start> <end> <seq>}, {@code WORK-LOST <shard> <token> <start>
 * <end> <seq>} (the instance found itself no longer owner when writing) or {@code WORK-FAILED <shard>
 * <token> <start> <end> <seq> <error>} (indeterminate: the record in etcd tells), where
 * {@code start..end} is the unit's interval: the shard was owned with that token, by
 * {@link ShardedWorkload#fencingToken}, just before {@code start} and just after {@code end} (the
 * ownership never comes back once it ended, so it held all along); the record is
 * {@code <prefix>records/<shard>/<token>/<instanceId>-<seq>} = {@code <token> <start> <end>};</li>
 * <li>after each revocation other than {@code SHUTDOWN}, once etcd shows the shard's owner key gone or
 * created anew, one deliberate write with the revoked token through {@link EtcdTemplate#fencedWrite}
 * to {@code <prefix>stale/<shard>-<token>}: {@code SHARD-STALE-REJECTED <shard> <token>},
 * {@code SHARD-STALE-OK <shard> <token> <revision>} or {@code SHARD-STALE-UNKNOWN <shard> <token>
 * <why>}.</li>
 * </ul>
 * A revocation waits for the shards' threads to end, as the {@link ShardListener} contract asks.
 */
public final class ShardWorker implements ShardListener {

	private final ShardedWorkload workload;

	private final String ownerKeyPrefix;

	private final EtcdTemplate etcd;

	private final String instanceId;

	private final String prefix;

	private final long workMillis;

	private final Map<Integer, Unit> running = new ConcurrentHashMap<>();

	/**
	 * Create a worker; register it as a bean (it hears every workload and works on one).
	 * @param workload the workload to work on
	 * @param ownerKeyPrefix where the workload's owner keys are, for example
	 * {@code /shards/<workload>/owners/}
	 * @param etcd the etcd access
	 * @param instanceId this instance's id
	 * @param prefix where to write the records, ending with {@code /}
	 * @param workMillis how long one unit of work takes
	 */
	public ShardWorker(ShardedWorkload workload, String ownerKeyPrefix, EtcdTemplate etcd, String instanceId,
			String prefix, long workMillis) {
		this.workload = workload;
		this.ownerKeyPrefix = ownerKeyPrefix;
		this.etcd = etcd;
		this.instanceId = instanceId;
		this.prefix = prefix;
		this.workMillis = workMillis;
	}

	@Override
	public void assigned(ShardsAssignedEvent event) {
		if (!event.getWorkload().equals(this.workload.name())) {
			return;
		}
		long now = System.nanoTime();
		event.getTokens().forEach((shard, token) -> {
			ChildSide.print("SHARD-ASSIGNED " + shard + " " + token + " " + now);
			Unit unit = new Unit(shard, token);
			Unit previous = this.running.put(shard, unit);
			if (previous != null) {
				previous.stopped = true;
				previous.awaitStopped();
			}
			unit.thread.start();
		});
	}

	@Override
	public void revoked(ShardsRevokedEvent event) {
		if (!event.getWorkload().equals(this.workload.name())) {
			return;
		}
		long now = System.nanoTime();
		Map<Integer, Unit> stopping = new TreeMap<>();
		for (int shard : event.getShards()) {
			Unit unit = this.running.remove(shard);
			ChildSide.print("SHARD-REVOKED " + shard + " " + ((unit != null) ? unit.token : -1) + " " + event.getReason()
					+ " " + now);
			if (unit != null) {
				unit.stopped = true;
				stopping.put(shard, unit);
			}
		}
		// the shards' work ends before the listener returns: only then may another instance own them
		stopping.values().forEach(Unit::awaitStopped);
		if (event.getReason() != ShardsRevokedEvent.Reason.SHUTDOWN) {
			stopping.forEach((shard, unit) -> ChildSide.daemon("shard-stale-writer-" + shard,
					() -> staleWrite(shard, unit.token)));
		}
	}

	private void work(Unit unit) {
		long seq = 0;
		while (!unit.stopped) {
			if (!owns(unit)) {
				return;
			}
			long start = System.nanoTime();
			try {
				TimeUnit.MILLISECONDS.sleep(this.workMillis);
			}
			catch (InterruptedException ex) {
				return;
			}
			long end = System.nanoTime();
			if (!owns(unit)) {
				return;
			}
			seq++;
			String interval = unit.shard + " " + unit.token + " " + start + " " + end + " " + seq;
			try {
				WriteResult result = this.workload.fencedWrite(unit.shard,
						FencedWrite.put(this.prefix + "records/" + unit.shard + "/" + unit.token + "/" + this.instanceId + "-" + seq,
								unit.token + " " + start + " " + end));
				if (result.applied()) {
					ChildSide.print("WORK-OK " + interval + " " + result.revision());
				}
				else {
					ChildSide.print("WORK-REJECTED " + interval);
				}
			}
			catch (IllegalStateException ex) {
				ChildSide.print("WORK-LOST " + interval);
				return;
			}
			catch (EtcdAccessException ex) {
				ChildSide.print("WORK-FAILED " + interval + " " + ex.getClass().getSimpleName());
			}
		}
	}

	private boolean owns(Unit unit) {
		OptionalLong token = this.workload.fencingToken(unit.shard);
		return token.isPresent() && token.getAsLong() == unit.token;
	}

	/**
	 * Once etcd shows the shard's owner key gone or created anew, write with the revoked token: etcd
	 * must reject it.
	 */
	private void staleWrite(int shard, long token) {
		String ownerKey = this.ownerKeyPrefix + shard;
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
		String why = "owner-key-still-there";
		while (System.nanoTime() - deadline < 0) {
			try {
				Optional<KeyValue> owner = this.etcd.get(ownerKey);
				if (owner.isPresent() && owner.get().getCreateRevision() == token) {
					// the lease has not expired yet (a session lost locally), or the key is still being deleted
					ChildSide.sleep(100);
					continue;
				}
				WriteResult result = this.etcd.fencedWrite(ownerKey, token,
						FencedWrite.put(this.prefix + "stale/" + shard + "-" + token, this.instanceId));
				if (result.applied()) {
					ChildSide.print("SHARD-STALE-OK " + shard + " " + token + " " + result.revision());
				}
				else {
					ChildSide.print("SHARD-STALE-REJECTED " + shard + " " + token);
				}
				return;
			}
			catch (EtcdAccessException ex) {
				// etcd not reachable yet: a rejection is still due
				why = ex.getClass().getSimpleName();
				ChildSide.sleep(500);
			}
		}
		ChildSide.print("SHARD-STALE-UNKNOWN " + shard + " " + token + " " + why);
	}

	/**
	 * The work on one shard under one ownership.
	 */
	private final class Unit {

		private final int shard;

		private final long token;

		private final Thread thread;

		private volatile boolean stopped;

		Unit(int shard, long token) {
			this.shard = shard;
			this.token = token;
			this.thread = new Thread(() -> work(this), "shard-work-" + shard);
			this.thread.setDaemon(true);
		}

		/**
		 * Wait for the thread to end once {@link #stopped} is set: at most one unit of work and one
		 * request.
		 */
		void awaitStopped() {
			try {
				this.thread.join(ShardWorker.this.workMillis + TimeUnit.SECONDS.toMillis(5));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			if (this.thread.isAlive()) {
				ChildSide.print("WORK-STUCK " + this.shard + " " + this.token);
			}
		}

	}

}
