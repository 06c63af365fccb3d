package dev.coordination.election;

import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationEvent;

/**
 * Published on every instance when the leader of an election, as its view of etcd shows it,
 * changes: another candidate leads, or none does.
 */
public class LeaderChangedEvent extends ApplicationEvent {

	private final String election;

	private final @Nullable Candidate leader;

	/**
	 * Create the event.
	 * @param source the election
	 * @param leader the new leader, {@code null} when there is none
	 */
	public LeaderChangedEvent(LeaderElection source, @Nullable Candidate leader) {
		super(source);
		this.election = source.name();
		this.leader = leader;
	}

	/**
	 * The election name.
	 * @return the name
	 */
	public String getElection() {
		return this.election;
	}

	/**
	 * Who leads now.
	 * @return the leader, empty while nobody leads
	 */
	public Optional<Candidate> getLeader() {
		return Optional.ofNullable(this.leader);
	}

	@Override
	public String toString() {
		return "LeaderChangedEvent[election=" + this.election + ", leader="
				+ ((this.leader != null) ? this.leader.instanceId() + " (token " + this.leader.token() + ")" : "none")
				+ "]";
	}

}
