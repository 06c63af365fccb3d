package dev.coordination.lock;

import java.lang.ref.WeakReference;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.coordination.etcd.EtcdKeys;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.session.CoordinationSession;
import dev.coordination.session.SessionListener;
import dev.coordination.session.SessionLossReason;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * {@link DistributedLockRegistry} on etcd: one {@link EtcdDistributedLock} per key while anyone
 * uses it, all on the coordination session (no lease per lock).
 * <p>
 * A lock that is held or awaited is strongly referenced here; an idle one only weakly, so the keys
 * of finished work (an order id per call) do not accumulate. Because the lock in use is always the
 * one this registry returns, two threads of this instance never hold two lock objects of one key.
 * When the session is lost, every lock held on it is reported lost to the {@link LockListener}s
 * and, when configured, its holder thread is interrupted.
 */
public class EtcdLockRegistry implements DistributedLockRegistry, SessionListener {

	private static final Log logger = LogFactory.getLog(EtcdLockRegistry.class);

	private final ConcurrentHashMap<String, WeakReference<EtcdDistributedLock>> locks = new ConcurrentHashMap<>();

	private final Set<EtcdDistributedLock> inUse = ConcurrentHashMap.newKeySet();

	private final List<LockListener> listeners = new CopyOnWriteArrayList<>();

	private final String prefix;

	private final EtcdTemplate etcd;

	private final CoordinationSession session;

	private final boolean interruptOnLoss;

	/**
	 * Create a registry and listen to the session.
	 * @param prefix the normalised key prefix of all locks, for example {@code /locks}
	 * @param etcd the etcd access
	 * @param session the session every lock lives on
	 * @param interruptOnLoss whether to interrupt a holder thread when its lock is lost
	 */
	public EtcdLockRegistry(String prefix, EtcdTemplate etcd, CoordinationSession session, boolean interruptOnLoss) {
		this.prefix = prefix;
		this.etcd = etcd;
		this.session = session;
		this.interruptOnLoss = interruptOnLoss;
		session.addListener(this);
	}

	@Override
	public DistributedLock obtain(String key) {
		EtcdKeys.segment("lock key", key);
		while (true) {
			WeakReference<EtcdDistributedLock> reference = this.locks.compute(key,
					(name, existing) -> (existing != null && existing.get() != null) ? existing
							: new WeakReference<>(new EtcdDistributedLock(name, this.prefix, this.etcd, this.session, this)));
			EtcdDistributedLock lock = reference.get();
			if (lock != null) {
				if (this.locks.size() > 1024) {
					this.locks.values().removeIf((candidate) -> candidate.get() == null);
				}
				return lock;
			}
		}
	}

	/**
	 * The locks this instance holds now, for diagnostics.
	 * @return the holds, ordered by key
	 */
	public List<HeldLock> heldLocks() {
		return this.inUse.stream()
			.map(EtcdDistributedLock::held)
			.filter(Objects::nonNull)
			.sorted(Comparator.comparing(HeldLock::key))
			.toList();
	}

	/**
	 * Register a listener of lost locks.
	 * @param listener the listener
	 */
	public void addListener(LockListener listener) {
		this.listeners.add(listener);
	}

	void inUse(EtcdDistributedLock lock, boolean inUse) {
		if (inUse) {
			this.inUse.add(lock);
		}
		else {
			this.inUse.remove(lock);
		}
	}

	@Override
	public void sessionLost(long leaseId, SessionLossReason reason) {
		for (EtcdDistributedLock lock : this.inUse) {
			long token = lock.sessionLost(leaseId, this.interruptOnLoss);
			if (token >= 0) {
				logger.warn("Lock '" + lock.key() + "' (token " + token + ") lost with session lease "
						+ EtcdKeys.leaseHex(leaseId) + " (" + reason + ")");
				this.listeners.forEach((listener) -> {
					try {
						listener.lockLost(lock.key(), token);
					}
					catch (RuntimeException ex) {
						logger.error("Lock listener failed", ex);
					}
				});
			}
		}
	}

}
