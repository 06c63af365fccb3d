package dev.coordination.election.internal;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import dev.coordination.election.LeaderChangedEvent;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipListener;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.election.LeadershipState;
import dev.coordination.election.NotLeaderException;
import dev.coordination.election.RevocationReason;
import dev.coordination.election.internal.LeaderContextHolder.Running;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.core.ReactiveAdapter;

/**
 * Leadership in Project Reactor: {@code @LeaderOnly} methods that return a reactive type, and an
 * election's state as a {@link Flux}. Loaded only when Reactor is on the classpath.
 */
public final class ReactorLeadership {

	private ReactorLeadership() {
	}

	/**
	 * Run a {@code @LeaderOnly} method returning a reactive type: at each subscription, check
	 * leadership, run the method with the term in {@link LeaderContextHolder}, and subscribe to its
	 * work with the {@link Running} term in the Reactor context under {@code Running.class}.
	 * @param invocation the call
	 * @param adapter the adapter of the method's return type
	 * @param election the method's election
	 * @param throwOnNotLeader whether a non-leader's subscription fails instead of completing empty
	 * @param interruptOnRevoke whether a revocation while the work runs cancels it and fails
	 * @return the method's return type, subscribed to on the leader only
	 */
	static Object invoke(MethodInvocation invocation, ReactiveAdapter adapter, LeaderElection election,
			boolean throwOnNotLeader, boolean interruptOnRevoke) {
		String method = LeaderOnlyInterceptor.describe(invocation.getMethod());
		// the call goes on at each subscription: later, on another thread, and perhaps more than once
		MethodInvocation base = invocable(invocation);
		Flux<Object> guarded = Flux.defer(() -> {
			Optional<LeaderTerm> term = election.currentTerm();
			if (term.isEmpty()) {
				return throwOnNotLeader ? Flux.error(new NotLeaderException(election.name(),
						DisabledLeaderElections.described(election, method))) : Flux.empty();
			}
			Running running = new Running(election, term.get());
			Object returned;
			Running previous = LeaderContextHolder.enter(election, term.get());
			try {
				returned = invocable(base).proceed();
			}
			catch (Throwable ex) {
				return Flux.error(ex);
			}
			finally {
				LeaderContextHolder.exit(previous);
			}
			Flux<Object> work = (returned != null) ? Flux.from(adapter.toPublisher(returned)) : Flux.empty();
			if (interruptOnRevoke && election instanceof EtcdLeaderElection etcdElection) {
				work = untilRevoked(work, () -> Mono.fromFuture(() -> etcdElection.revocation(term.get()), false),
						election.name(), method);
			}
			return work.contextWrite((context) -> context.put(Running.class, running));
		});
		return adapter.fromPublisher(adapter.isMultiValue() ? guarded : guarded.next());
	}

	/**
	 * The work, cancelled and failed with {@link NotLeaderException} when the revocation signals a
	 * reason first.
	 * @param work the work
	 * @param revocation emits the reason when the term ends; cancelled when the work terminates
	 * @param election the election name
	 * @param method the method, for messages
	 * @return the guarded work
	 */
	static Flux<Object> untilRevoked(Flux<Object> work, Supplier<Mono<RevocationReason>> revocation, String election,
			String method) {
		return Flux.defer(() -> {
			AtomicReference<@Nullable RevocationReason> revoked = new AtomicReference<>();
			// a value of the other publisher cancels the work, an error would not (FluxTakeUntilOther):
			// stop on the reason, then fail
			return work.takeUntilOther(revocation.get().doOnNext(revoked::set)).concatWith(Mono.defer(() -> {
				RevocationReason reason = revoked.get();
				return (reason != null) ? Mono.error(new NotLeaderException(election, method, reason)) : Mono.empty();
			}));
		});
	}

	/**
	 * An election's state as this instance sees it: the current state at subscription, then each
	 * change (this instance's leadership granted or revoked, another leader). Signals of changes
	 * arrive on the starter's event thread. Never completes; cancelling unregisters its listener.
	 * @param election the election
	 * @return the states
	 */
	public static Flux<LeadershipState> observe(LeaderElection election) {
		return Flux.create((sink) -> {
			StateListener listener = new StateListener(sink);
			Supplier<LeadershipState> read = () -> new LeadershipState(election.name(),
					election.currentTerm().orElse(null), election.leader().orElse(null));
			synchronized (listener) {
				// no change is applied before the state it changes
				LeadershipState initial;
				if (election instanceof EtcdLeaderElection etcdElection) {
					initial = etcdElection.addListener(listener, read);
				}
				else {
					election.addListener(listener);
					initial = read.get();
				}
				listener.start(initial);
			}
			// when cancelled already, at once
			sink.onDispose(() -> election.removeListener(listener));
		});
	}

	/**
	 * A call that can go on later, on another thread, and more than once: a clone per call.
	 * @param invocation the call of an interceptor
	 * @return a call to proceed with
	 */
	static MethodInvocation invocable(MethodInvocation invocation) {
		return (invocation instanceof ProxyMethodInvocation proxy) ? proxy.invocableClone() : invocation;
	}

	/**
	 * One subscriber's state, changed by the election's events and emitted when it really changes.
	 */
	private static final class StateListener implements LeadershipListener {

		private final FluxSink<LeadershipState> sink;

		private @Nullable LeadershipState state;

		StateListener(FluxSink<LeadershipState> sink) {
			this.sink = sink;
		}

		synchronized void start(LeadershipState initial) {
			this.state = initial;
			this.sink.next(initial);
		}

		@Override
		public void granted(LeadershipGrantedEvent event) {
			change((state) -> new LeadershipState(state.election(), event.getTerm(), state.leader()));
		}

		@Override
		public void revoked(LeadershipRevokedEvent event) {
			change((state) -> {
				LeaderTerm term = state.term();
				return (term != null && term.token() == event.getToken())
						? new LeadershipState(state.election(), null, state.leader()) : state;
			});
		}

		@Override
		public void leaderChanged(LeaderChangedEvent event) {
			change((state) -> new LeadershipState(state.election(), state.term(), event.getLeader().orElse(null)));
		}

		private synchronized void change(UnaryOperator<LeadershipState> change) {
			LeadershipState current = this.state;
			if (current == null) {
				return;
			}
			LeadershipState next = change.apply(current);
			if (!next.equals(current)) {
				this.state = next;
				this.sink.next(next);
			}
		}

	}

}
