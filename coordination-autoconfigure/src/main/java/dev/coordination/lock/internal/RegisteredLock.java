package dev.coordination.lock.internal;

import java.time.Duration;
import java.util.List;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockLostException;
import dev.coordination.lock.LockNotAcquiredException;
import dev.coordination.lock.internal.SessionKeyQueue.Entry;
import dev.coordination.lock.internal.SessionKeyQueue.InterruptibleCall;
import org.jspecify.annotations.Nullable;

import org.springframework.lang.Contract;

/**
 * A lock, read-write lock or semaphore of an {@link EtcdLockRegistry}: its key and etcd prefix,
 * and the bookkeeping that keeps it registered while any thread of this instance holds it or is
 * inside an acquisition, so that the registry can report its holds and tell of their loss.
 * <p>
 * The registry references a lock in use strongly and an idle one only weakly, so that the keys of
 * finished work do not accumulate; because the object in use is always the one the registry
 * returns, two threads of this instance never hold two objects of one key. Subclasses guard what
 * {@link #idle()} and {@link #takeAbandoned()} read with this object's monitor.
 */
abstract class RegisteredLock {

	private final String key;

	private final String prefix;

	private final String kind;

	private final SessionKeyQueue queue;

	private final EtcdLockRegistry registry;

	// guarded by this: threads inside an acquisition
	private int acquiring;

	/**
	 * Create a lock of a key.
	 * @param kind what it is, for messages: {@code DistributedLock}
	 * @param keyKind what its key is, for messages: {@code lock key}
	 * @param key the key
	 * @param kindPrefix the normalised etcd prefix of its kind
	 * @param queue the lines its keys queue in
	 * @param registry the registry it belongs to
	 */
	RegisteredLock(String kind, String keyKind, String key, String kindPrefix, SessionKeyQueue queue,
			EtcdLockRegistry registry) {
		this.kind = kind;
		this.key = key;
		this.prefix = EtcdKeys.key(kindPrefix, EtcdKeys.segment(keyKind, key)) + "/";
		this.queue = queue;
		this.registry = registry;
	}

	/**
	 * The key of this lock.
	 * @return the key
	 */
	public String key() {
		return this.key;
	}

	/**
	 * The etcd prefix of this key's keys, ending with {@code /}.
	 * @return the prefix
	 */
	String keyPrefix() {
		return this.prefix;
	}

	SessionKeyQueue queue() {
		return this.queue;
	}

	/**
	 * The exception for {@code what} not acquired within {@code waitTime}, saying why when etcd
	 * could not be reached.
	 * @param what what was not acquired, for example "Lock 'orders/1'"
	 * @param waitTime how long it was waited for
	 * @return the exception
	 */
	LockNotAcquiredException notAcquired(String what, Duration waitTime) {
		String why = this.queue.unreachable();
		return new LockNotAcquiredException(this.key, what + " was not acquired within " + waitTime.toMillis() + " ms"
				+ ((why != null) ? " because " + why : ""));
	}

	/**
	 * The holds of this instance whose session is provably alive.
	 * @return the holds
	 */
	abstract List<HeldLock> held();

	/**
	 * Called on the session's thread when the lease {@code leaseId} is lost.
	 * @param leaseId the lost lease
	 * @param interruptHolders whether to interrupt the threads that hold what was lost
	 * @return the holds that lived on that lease
	 */
	abstract List<HeldLock> sessionLost(long leaseId, boolean interruptHolders);

	/**
	 * Whether this instance holds nothing of this lock. Called under this object's monitor.
	 * @return {@code true} when nothing is held
	 */
	abstract boolean idle();

	/**
	 * Take a hold that no thread of this instance holds, waits for or is on its way to, if there is
	 * one, for the caller to give up. Called under this object's monitor, after an acquisition ended
	 * and after a release.
	 * @return the key to give up, or {@code null}
	 */
	@Nullable Entry takeAbandoned() {
		return null;
	}

	/**
	 * Delete at once what a release left to be deleted in the background: called when the registry
	 * closes, before the session lease is revoked. Keys whose delete fails go with the lease.
	 */
	void flushRelease() {
	}

	/**
	 * Run an acquisition: this lock stays registered throughout, and afterwards while it holds
	 * anything.
	 * @param <T> the result type
	 * @param acquisition the acquisition
	 * @return its result
	 * @throws InterruptedException when interrupted while waiting
	 */
	final <T extends @Nullable Object> T acquisition(InterruptibleCall<T> acquisition) throws InterruptedException {
		beginAcquisition();
		try {
			return acquisition.call();
		}
		finally {
			endAcquisition();
		}
	}

	/**
	 * An acquisition begins: this lock stays registered until it ends, and afterwards while it
	 * holds anything. For an acquisition that no single call spans (an asynchronous one).
	 */
	final synchronized void beginAcquisition() {
		this.acquiring++;
		this.registry.inUse(this, true);
	}

	/**
	 * An acquisition that {@link #beginAcquisition() began} ended, acquired or not.
	 */
	final void endAcquisition() {
		synchronized (this) {
			this.acquiring--;
		}
		// an acquirer that gave up may have been the one a hold was kept for
		settle();
	}

	/**
	 * The registry this lock belongs to.
	 * @return the registry
	 */
	final EtcdLockRegistry registry() {
		return this.registry;
	}

	/**
	 * Whether a thread of this instance is inside an acquisition.
	 * @return {@code true} when one is
	 */
	final synchronized boolean acquiring() {
		return this.acquiring > 0;
	}

	/**
	 * After a release: give up an abandoned hold, and leave the registry's strong references when
	 * nothing is held or acquired any more. The abandoned key is deleted after this object's monitor
	 * is left: an etcd call under it would hold up every acquirer of this instance, and pin a virtual
	 * thread to its carrier on Java 21 to 23.
	 */
	final void settle() {
		Entry abandoned;
		synchronized (this) {
			abandoned = takeAbandoned();
			// idle locks are only weakly reachable from the registry: it forgets unused keys
			if (this.acquiring == 0 && idle()) {
				this.registry.inUse(this, false);
			}
		}
		if (abandoned != null) {
			// an acquirer that comes meanwhile finds the key still there and deletes it before it
			// creates its own, as it does with a release still being retried
			this.queue.release(abandoned);
		}
	}

	/**
	 * Whether {@code entry} is held on a session lease that is provably alive.
	 * @param entry the entry, or {@code null}
	 * @return {@code true} when it is
	 */
	@Contract("null -> false")
	final boolean valid(@Nullable Entry entry) {
		return entry != null && this.queue.session().isValid(entry.leaseId());
	}

	/**
	 * The exception that tells a holder its hold is gone.
	 * @param entry the lost entry, or {@code null} when not known
	 * @return the exception
	 */
	final LockLostException lost(@Nullable Entry entry) {
		return new LockLostException(this.key, (entry != null) ? entry.token() : 0);
	}

	@Override
	public String toString() {
		return this.kind + " '" + this.key + "' (" + this.prefix + ")";
	}

}
