package dev.coordination.etcd;

import java.time.Duration;
import java.util.List;

import org.springframework.util.Assert;

/**
 * A lease as etcd sees it, read by {@link EtcdTemplate#leaseStatus(long)}.
 *
 * @param leaseId the lease
 * @param remaining how long etcd keeps the lease without a keep-alive: etcd's view, rounded down to
 * whole seconds by etcd; zero when it is about to expire. A client's own deadline (like the
 * session's, which stops counting on the lease a safety margin earlier) may be shorter
 * @param granted the TTL the lease was granted with (etcd raises a TTL below its minimum)
 * @param keys the keys attached to the lease, UTF-8, relative to the client's namespace like every
 * key of {@link EtcdTemplate}, sorted; etcd deletes them when the lease ends
 */
public record LeaseStatus(long leaseId, Duration remaining, Duration granted, List<String> keys) {

	public LeaseStatus {
		Assert.notNull(remaining, "remaining must not be null");
		Assert.notNull(granted, "granted must not be null");
		Assert.notNull(keys, "keys must not be null");
		keys = List.copyOf(keys);
	}

	@Override
	public String toString() {
		// lease ids in hexadecimal, as etcdctl and the starter's logs show them
		return "LeaseStatus[leaseId=" + Long.toHexString(this.leaseId) + ", remaining=" + this.remaining + ", granted="
				+ this.granted + ", keys=" + this.keys + "]";
	}

}
