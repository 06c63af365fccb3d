package dev.coordination.election;

import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * Thrown by a {@link LeaderOnly} method with {@link LeaderOnly.OnNotLeader#THROW} when this instance
 * does not lead the election, and the error of the stage or publisher of an asynchronous
 * {@code @LeaderOnly} method: not leading when called (or subscribed to), or, with
 * {@link LeaderOnly#interruptOnRevoke()}, leadership revoked while its work ran.
 */
public class NotLeaderException extends RuntimeException {

	private final String election;

	private final @Nullable RevocationReason revocationReason;

	/**
	 * Create the exception for a call on a non-leader.
	 * @param election the election
	 * @param method what runs on the leader only, for example {@code com.example.Reports.rebuild()}
	 */
	public NotLeaderException(String election, String method) {
		super("Not the leader of election '" + election + "': " + method + " runs on the leader only");
		this.election = election;
		this.revocationReason = null;
	}

	/**
	 * Create the exception for work whose leadership was revoked while it ran.
	 * @param election the election
	 * @param method the work, for example {@code com.example.Reports.rebuild()}
	 * @param reason why leadership was revoked
	 */
	public NotLeaderException(String election, String method, RevocationReason reason) {
		super("Leadership of election '" + election + "' was revoked (" + reason + ") while " + method
				+ " ran: it runs on the leader only, and its work was cancelled");
		this.election = election;
		this.revocationReason = reason;
	}

	/**
	 * The election this instance does not lead.
	 * @return the election name
	 */
	public String getElection() {
		return this.election;
	}

	/**
	 * Why leadership was revoked while the work ran.
	 * @return the reason, empty when this instance did not lead when the work was called
	 */
	public Optional<RevocationReason> getRevocationReason() {
		return Optional.ofNullable(this.revocationReason);
	}

}
