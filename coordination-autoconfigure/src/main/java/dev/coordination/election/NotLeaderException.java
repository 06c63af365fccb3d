package dev.coordination.election;

/**
 * Thrown by a {@link LeaderOnly} method with {@link LeaderOnly.OnNotLeader#THROW} when this instance
 * does not lead the election.
 */
public class NotLeaderException extends RuntimeException {

	private final String election;

	public NotLeaderException(String election, String method) {
		super("Not the leader of election '" + election + "': " + method + " runs on the leader only");
		this.election = election;
	}

	/**
	 * The election this instance does not lead.
	 * @return the election name
	 */
	public String getElection() {
		return this.election;
	}

}
