package dev.coordination.etcd;

/**
 * Thrown when a read or watch asked for a revision that etcd has already compacted away.
 * <p>
 * Recover by reading again at the current revision and watching from that revision + 1.
 */
public class EtcdCompactedException extends EtcdAccessException {

	private final long compactedRevision;

	public EtcdCompactedException(String operation, long compactedRevision, Throwable cause) {
		super(operation, "revision compacted (compacted up to " + compactedRevision + ")", cause);
		this.compactedRevision = compactedRevision;
	}

	/**
	 * Revision up to which the history was compacted, or {@code -1} when etcd did not say.
	 * @return the compacted revision
	 */
	public long getCompactedRevision() {
		return this.compactedRevision;
	}

}
