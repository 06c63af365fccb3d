package dev.coordination.lock.internal;

import java.util.BitSet;

/**
 * The numbers that name one lock's or semaphore's keys of this instance
 * ({@code <leaseHex>-<registry>-<slot>}): the lowest free one is reused once its key is gone, so the
 * key names of a busy lock stay few. etcd keeps every key name it saw in its index until the history
 * is compacted, and a prefix read walks them all: a name per acquisition would slow every later
 * acquisition down on a cluster that does not compact.
 * <p>
 * Thread-safe. A slot is taken until whoever took it frees it, exactly once.
 */
final class KeySlots {

	private final BitSet busy = new BitSet();

	synchronized int take() {
		int slot = this.busy.nextClearBit(0);
		this.busy.set(slot);
		return slot;
	}

	synchronized void free(int slot) {
		this.busy.clear(slot);
	}

}
