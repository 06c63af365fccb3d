package dev.coordination.election;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;

/**
 * One named election among the instances of an application: at most one of them leads.
 * <p>
 * Guarantee: with a clock drift between hosts and etcd smaller than the session's safety margin,
 * no two instances are leader of the same election at the same time, whatever the failures
 * ({@link #isLeader()} consults the session's local deadline on every call). Not guaranteed: that
 * there always is a leader (there is none while the leader's session is being lost, and none while
 * etcd is unreachable). Fencing tokens only grow from one term to the next; use them to reject work
 * of a former leader that did not notice it lost ({@link #fencingToken()}).
 */
public interface LeaderElection {

	/**
	 * Name of the election used by {@code @LeaderOnly} when it names none.
	 */
	String DEFAULT = "default";

	/**
	 * Name of this election.
	 * @return the name
	 */
	String name();

	/**
	 * Whether this instance leads now: it won the election and its session is provably alive.
	 * Answers without calling etcd.
	 * @return {@code true} when leading
	 */
	boolean isLeader();

	/**
	 * The current term of this instance, if it leads now.
	 * @return the term, empty when not leading
	 */
	Optional<LeaderTerm> currentTerm();

	/**
	 * Fencing token of this instance's current term: the create revision of its election key.
	 * @return the token, empty when not leading
	 */
	OptionalLong fencingToken();

	/**
	 * Write to etcd only while this instance's current term still exists there: {@code write} is
	 * applied in one transaction that first compares this instance's election key with the term's
	 * {@linkplain #fencingToken() fencing token}. A leader whose key is gone has its write rejected,
	 * even when it does not know yet that it lost leadership.
	 * @param write the puts and deletes, and conditions of the caller's own
	 * @return whether it was applied, and whether the term still existed
	 * @throws NotLeaderException when this instance does not lead now
	 * @throws dev.coordination.etcd.EtcdAccessException when etcd did not answer; the write may
	 * still be applied later
	 */
	WriteResult fencedWrite(FencedWrite write);

	/**
	 * Who leads, as this instance last saw it through its watch on the election: readable by
	 * followers ("the leader is at host:port").
	 * @return the leader's identity, empty when nobody leads
	 */
	Optional<Candidate> leader();

	/**
	 * Every candidate of the election in line: the leader first, then the others in the order they
	 * would lead (by the create revision of their election keys, {@link Candidate#token()}). As
	 * {@link #leader()}, it is this instance's latest view through its watch on the election,
	 * without calling etcd: it can lag etcd by the watch's delay, and an instance that only
	 * observes the election sees the same list. A candidate whose session was lost stays in the list
	 * until etcd expires its lease.
	 * <p>
	 * The default implementation knows only the leader.
	 * @return the candidates, the leader first; empty when nobody campaigns (or nothing was read
	 * yet)
	 */
	default List<Candidate> candidates() {
		return leader().map(List::of).orElse(List.of());
	}

	/**
	 * Wait until this instance leads.
	 * @param timeout how long to wait at most
	 * @return {@code true} when leading, {@code false} when the time ran out
	 * @throws InterruptedException when the waiting thread is interrupted
	 */
	boolean awaitLeadership(Duration timeout) throws InterruptedException;

	/**
	 * Give up leadership, or the place in the queue, and join again at the back: the next candidate
	 * takes over at once. Leadership is revoked locally before the election key is deleted.
	 */
	void resign();

	/**
	 * Register a listener of this instance's leadership.
	 * @param listener the listener
	 */
	void addListener(LeadershipListener listener);

	/**
	 * Unregister a listener.
	 * @param listener the listener
	 */
	void removeListener(LeadershipListener listener);

}
