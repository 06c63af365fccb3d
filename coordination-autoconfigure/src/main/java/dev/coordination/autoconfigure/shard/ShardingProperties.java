package dev.coordination.autoconfigure.shard;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.coordination.etcd.internal.EtcdKeys;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration properties of sharded workloads: the workloads themselves
 * ({@code coordination.shards.<name>.*}) and where they live in etcd
 * ({@code coordination.etcd.sharding.*}).
 */
@ConfigurationProperties("coordination")
public class ShardingProperties implements InitializingBean {

	/**
	 * Largest number of shards of one workload.
	 */
	public static final int MAX_COUNT = 65536;

	/**
	 * Sharded workloads this instance takes part in, by workload name.
	 */
	private Map<String, Workload> shards = new LinkedHashMap<>();

	/**
	 * Where sharded workloads live in etcd.
	 */
	private final Etcd etcd = new Etcd();

	public Map<String, Workload> getShards() {
		return this.shards;
	}

	public void setShards(Map<String, Workload> shards) {
		this.shards = shards;
	}

	/**
	 * The number of shards of a workload, once validated.
	 * @param workload the workload's settings
	 * @return its count
	 */
	static int count(Workload workload) {
		Integer count = workload.getCount();
		if (count == null) {
			throw new IllegalStateException("The count of a workload was not validated");
		}
		return count;
	}

	public Etcd getEtcd() {
		return this.etcd;
	}

	/**
	 * The key prefix, normalised: a leading {@code /}, no trailing one.
	 * @return the prefix
	 */
	public String keyPrefix() {
		return EtcdKeys.prefix("coordination.etcd.sharding.prefix", this.etcd.getSharding().getPrefix());
	}

	@Override
	public void afterPropertiesSet() {
		keyPrefix();
		this.shards.forEach((name, workload) -> {
			String property = "coordination.shards." + name;
			try {
				EtcdKeys.segment("workload name", name);
			}
			catch (IllegalArgumentException ex) {
				throw new InvalidConfigurationPropertyValueException(property + ".count", workload.getCount(),
						"The workload name '" + name + "' cannot be part of an etcd key: " + ex.getMessage());
			}
			Integer count = workload.getCount();
			if (count == null) {
				throw new InvalidConfigurationPropertyValueException(property + ".count", null,
						"Set the number of shards of workload '" + name + "', from 1 to " + MAX_COUNT);
			}
			if (count < 1 || count > MAX_COUNT) {
				throw new InvalidConfigurationPropertyValueException(property + ".count", count,
						"A workload has from 1 to " + MAX_COUNT + " shards");
			}
			if (workload.getWeight() < 0) {
				throw new InvalidConfigurationPropertyValueException(property + ".weight", workload.getWeight(),
						"A weight is 0 (take part without owning shards) or more; the default is 1");
			}
			if (workload.getSettleDelay().isNegative()) {
				throw new InvalidConfigurationPropertyValueException(property + ".settle-delay",
						workload.getSettleDelay(), "Must be zero or positive, for example 1s");
			}
		});
	}

	/**
	 * One sharded workload.
	 */
	public static class Workload {

		/**
		 * Number of shards, numbered from 0, from 1 to 65536. Every instance of the workload must
		 * have the same count: an instance with another count than the longest-standing instance's
		 * owns no shards until every instance with that count has stopped.
		 */
		private @Nullable Integer count;

		/**
		 * This instance's weight: it owns about weight / (sum of the weights) of the shards. 0 to take
		 * part without owning any.
		 */
		private int weight = 1;

		/**
		 * How long the instances taking part must stay unchanged before shards move: a rolling
		 * restart within it moves no shard twice. Shards of an instance that left wait this long for
		 * their new owner.
		 */
		private Duration settleDelay = Duration.ofSeconds(1);

		public @Nullable Integer getCount() {
			return this.count;
		}

		public void setCount(@Nullable Integer count) {
			this.count = count;
		}

		public int getWeight() {
			return this.weight;
		}

		public void setWeight(int weight) {
			this.weight = weight;
		}

		public Duration getSettleDelay() {
			return this.settleDelay;
		}

		public void setSettleDelay(Duration settleDelay) {
			this.settleDelay = settleDelay;
		}

	}

	/**
	 * Settings under {@code coordination.etcd}.
	 */
	public static class Etcd {

		/**
		 * Sharded workloads in etcd.
		 */
		private final Sharding sharding = new Sharding();

		public Sharding getSharding() {
			return this.sharding;
		}

	}

	/**
	 * Sharded workloads in etcd.
	 */
	public static class Sharding {

		/**
		 * Whether to enable sharded workloads and {@code @ShardedBy}.
		 */
		private boolean enabled = true;

		/**
		 * Key prefix of all sharded workloads: members under {prefix}/{workload}/members/, owners
		 * under {prefix}/{workload}/owners/{shard}.
		 */
		private String prefix = "/shards";

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public String getPrefix() {
			return this.prefix;
		}

		public void setPrefix(String prefix) {
			this.prefix = prefix;
		}

	}

}
