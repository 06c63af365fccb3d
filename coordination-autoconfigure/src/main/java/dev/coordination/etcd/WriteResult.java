package dev.coordination.etcd;

/**
 * What became of a {@link FencedWrite}.
 *
 * @param applied whether the writes were applied: the hold existed and every condition held
 * @param holdExists whether the hold still existed in etcd with its fencing token; {@code false}
 * means it was lost (expired, deleted, or taken over): stop the work it protected
 * @param revision the etcd revision of the transaction: of the writes when applied
 */
public record WriteResult(boolean applied, boolean holdExists, long revision) {
}
