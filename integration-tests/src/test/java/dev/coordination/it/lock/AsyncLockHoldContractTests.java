package dev.coordination.it.lock;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockHold;
import dev.coordination.lock.LockNotAcquiredException;

/**
 * The lock contract kept by {@link DistributedLockRegistry#acquireAsync asynchronous holds}, whose
 * rival is a thread's {@link DistributedLockRegistry#obtain(String) lock} of the same key: holds of
 * both kinds, of one instance or two, exclude each other. A hold belongs to no thread, so a second
 * acquisition is a hold of its own, and interrupt-on-loss interrupts no thread.
 */
class AsyncLockHoldContractTests extends AbstractLockContractTests {

	@Override
	Contender contender(DistributedLockRegistry registry, String key) {
		return new Contender() {

			@Override
			public Optional<Hold> tryAcquire(Duration waitTime) throws InterruptedException {
				return await(registry.acquireAsync(key, waitTime));
			}

			@Override
			public Hold acquire() throws InterruptedException {
				return await(registry.acquireAsync(key, Duration.ofDays(1))).orElseThrow();
			}

		};
	}

	@Override
	Contender rival(DistributedLockRegistry registry, String key) {
		return lock(registry.obtain(key));
	}

	@Override
	String keyPrefix(String key) {
		return "/locks/" + key + "/";
	}

	@Override
	HeldLock.Kind kind() {
		return HeldLock.Kind.LOCK;
	}

	@Override
	boolean heldByThread() {
		return false;
	}

	/**
	 * Wait for an acquisition as a thread would: an interrupt gives it up.
	 */
	private static Optional<Hold> await(CompletableFuture<LockHold> acquisition) throws InterruptedException {
		try {
			return Optional.of(new AsyncHold(acquisition.get()));
		}
		catch (InterruptedException ex) {
			acquisition.cancel(false);
			throw ex;
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof LockNotAcquiredException) {
				return Optional.empty();
			}
			throw (ex.getCause() instanceof RuntimeException runtime) ? runtime : new IllegalStateException(ex);
		}
	}

	/**
	 * An asynchronous hold, released by waiting for its release.
	 *
	 * @param hold the hold
	 */
	private record AsyncHold(LockHold hold) implements Hold {

		@Override
		public long token() {
			return this.hold.fencingToken();
		}

		@Override
		public boolean isValid() {
			return this.hold.isValid();
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			return this.hold.fencedWrite(write);
		}

		@Override
		public void release() {
			try {
				this.hold.release().join();
			}
			catch (CompletionException ex) {
				throw (ex.getCause() instanceof RuntimeException runtime) ? runtime : ex;
			}
		}

	}

}
