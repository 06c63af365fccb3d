package dev.coordination.election;

import dev.coordination.election.internal.ReactorLeadership;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.util.Assert;

/**
 * The elections of {@link LeaderElections} for Project Reactor: a bean when Reactor is on the
 * classpath. Like {@link LeaderElections#election(String)}, naming an election joins it: this
 * instance campaigns in it from then on (unless
 * {@code coordination.etcd.election.elections.<name>.candidate=false}).
 */
public final class ReactiveLeaderElections {

	private final LeaderElections elections;

	/**
	 * Create the reactive view of some elections.
	 * @param elections the elections
	 */
	public ReactiveLeaderElections(LeaderElections elections) {
		Assert.notNull(elections, "elections must not be null");
		this.elections = elections;
	}

	/**
	 * An election as this instance sees it: at each subscription, the current state, then a new
	 * state after each change (this instance's leadership granted or revoked, another leader or none
	 * seen), never the same state twice in a row. Changes arrive on the starter's event thread,
	 * {@code coordination-events}, in the order they happened, as {@link LeadershipListener}s hear
	 * them: move slow work elsewhere ({@code publishOn}). Never completes; cancel to stop.
	 * <pre class="code">
	 * elections.observe("reports")
	 *     .map(LeadershipState::isLeader)
	 *     .distinctUntilChanged()
	 *     .switchMap((leading) -&gt; leading ? consumeQueue() : Flux.empty())
	 * </pre>
	 * @param election the election name
	 * @return the states
	 * @throws IllegalArgumentException when the name is null or empty
	 */
	public Flux<LeadershipState> observe(String election) {
		return ReactorLeadership.observe(this.elections.election(election));
	}

	/**
	 * Who leads the election, as this instance last saw it through its watch, read at subscription
	 * without an etcd call.
	 * @param election the election name
	 * @return the leader, empty when nobody leads
	 * @throws IllegalArgumentException when the name is null or empty
	 */
	public Mono<Candidate> leader(String election) {
		LeaderElection named = this.elections.election(election);
		return Mono.defer(() -> Mono.justOrEmpty(named.leader()));
	}

}
