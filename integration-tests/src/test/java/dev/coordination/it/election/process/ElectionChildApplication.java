package dev.coordination.it.election.process;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import dev.coordination.election.Candidate;
import dev.coordination.election.LeaderContext;
import dev.coordination.election.LeaderElection;
import dev.coordination.election.LeaderElections;
import dev.coordination.election.LeaderOnly;
import dev.coordination.election.LeaderTerm;
import dev.coordination.election.LeadershipGrantedEvent;
import dev.coordination.election.LeadershipRevokedEvent;
import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.process.ChildSide;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;

/**
 * An application instance run as a child JVM by {@link LeaderElectionProcessIT}: it campaigns in
 * election {@code default} and reports on stdout, one machine-readable line per event:
 * <ul>
 * <li>{@code READY <instanceId> <pid>} once the context has started;</li>
 * <li>{@code GRANTED <token> <nanoTime>} and {@code REVOKED <token> <reason> <nanoTime>} from the
 * leadership events ({@code System.nanoTime()} is one clock for all processes of a Linux host);</li>
 * <li>{@code LEADER <instanceId> <token>} whenever {@link LeaderElection#leader()} changes
 * ({@code LEADER - 0} for nobody);</li>
 * <li>{@code CANDIDATES <instanceId>@<token> ...} whenever {@link LeaderElection#candidates()}
 * changes, in line order;</li>
 * <li>{@code FENCED-OK <token> <seq> <revision>}, {@code FENCED-REJECTED <token> <seq>} or
 * {@code FENCED-FAILED <token> <seq> <error>} for every fenced write.</li>
 * </ul>
 * While it leads, a {@code @LeaderOnly} job works for {@value #WORK_MILLIS} ms under its term and
 * then writes {@code <token>:<seq>} to {@value #COUNTER_KEY} in a transaction guarded by the create
 * revision of its election key. A JVM paused during the work resumes with a stale token: etcd must
 * reject that write.
 * <p>
 * The child exits when its stdin reaches end of file, so that it does not outlive the test JVM.
 */
@SpringBootApplication(proxyBeanMethods = false)
public class ElectionChildApplication {

	static final String COUNTER_KEY = "/fence/counter";

	static final long WORK_MILLIS = 150;

	public static void main(String[] args) {
		ChildSide.exitWhenParentGone();
		SpringApplication application = new SpringApplication(ElectionChildApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		// every thread of the starter is a daemon: keep the JVM running until it is stopped
		application.setKeepAlive(true);
		application.run(args);
	}

	@Bean
	FencedWriter fencedWriter(EtcdTemplate etcd) {
		return new FencedWriter(etcd);
	}

	@Bean
	Reporter reporter(LeaderElections elections, FencedWriter writer,
			@Value("${coordination.etcd.instance.id}") String instanceId) {
		return new Reporter(elections.election(LeaderElection.DEFAULT), writer, instanceId);
	}

	/**
	 * The fenced job: runs only on the leader, with the term it started under.
	 */
	public static class FencedWriter {

		private final EtcdTemplate etcd;

		private final AtomicLong sequence = new AtomicLong();

		FencedWriter(EtcdTemplate etcd) {
			this.etcd = etcd;
		}

		/**
		 * Work under the current term, then write the result guarded by the term's token.
		 * @return the sequence number of the write, empty when this instance does not lead
		 * @throws InterruptedException when interrupted while working
		 */
		@LeaderOnly
		public Optional<Long> workThenWrite() throws InterruptedException {
			LeaderTerm term = LeaderContext.currentTerm().orElseThrow();
			// the work done under this term: a JVM paused here writes with a stale token afterwards
			TimeUnit.MILLISECONDS.sleep(WORK_MILLIS);
			long seq = this.sequence.incrementAndGet();
			String value = term.token() + ":" + seq;
			try {
				TxnResponse response = this.etcd.txn("fenced write " + value, (txn) -> txn
					.If(new Cmp(EtcdKeys.bytes(term.key()), Cmp.Op.EQUAL, CmpTarget.createRevision(term.token())))
					.Then(Op.put(EtcdKeys.bytes(COUNTER_KEY), EtcdKeys.bytes(value), PutOption.DEFAULT)));
				if (response.isSucceeded()) {
					ChildSide.print("FENCED-OK " + term.token() + " " + seq + " " + response.getHeader().getRevision());
				}
				else {
					ChildSide.print("FENCED-REJECTED " + term.token() + " " + seq);
				}
			}
			catch (EtcdAccessException ex) {
				// indeterminate: the write may still be applied later, which the test reads from etcd
				ChildSide.print("FENCED-FAILED " + term.token() + " " + seq + " " + ex.getClass().getSimpleName());
			}
			return Optional.of(seq);
		}

	}

	/**
	 * Prints the events of election {@code default} and drives the fenced job.
	 */
	static class Reporter {

		private final LeaderElection election;

		private final FencedWriter writer;

		private final String instanceId;

		private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(2, (task) -> {
			Thread thread = new Thread(task, "child-reporter");
			thread.setDaemon(true);
			return thread;
		});

		private volatile String lastLeader;

		private volatile String lastCandidates;

		Reporter(LeaderElection election, FencedWriter writer, String instanceId) {
			this.election = election;
			this.writer = writer;
			this.instanceId = instanceId;
		}

		@EventListener
		void granted(LeadershipGrantedEvent event) {
			ChildSide.print("GRANTED " + event.getToken() + " " + System.nanoTime());
		}

		@EventListener
		void revoked(LeadershipRevokedEvent event) {
			ChildSide.print("REVOKED " + event.getToken() + " " + event.getReason() + " " + System.nanoTime());
		}

		@EventListener
		void ready(ApplicationReadyEvent event) {
			this.executor.scheduleWithFixedDelay(this::reportLeader, 0, 20, TimeUnit.MILLISECONDS);
			this.executor.scheduleWithFixedDelay(this::work, 0, 20, TimeUnit.MILLISECONDS);
			ChildSide.print("READY " + this.instanceId + " " + ProcessHandle.current().pid());
		}

		@EventListener
		void closed(ContextClosedEvent event) {
			this.executor.shutdownNow();
		}

		private void reportLeader() {
			Optional<Candidate> leader = this.election.leader();
			String line = leader.map((candidate) -> candidate.instanceId() + " " + candidate.token()).orElse("- 0");
			if (!Objects.equals(line, this.lastLeader)) {
				this.lastLeader = line;
				ChildSide.print("LEADER " + line);
			}
			String candidates = this.election.candidates()
				.stream()
				.map((candidate) -> " " + candidate.instanceId() + "@" + candidate.token())
				.collect(Collectors.joining());
			if (!Objects.equals(candidates, this.lastCandidates)) {
				this.lastCandidates = candidates;
				ChildSide.print("CANDIDATES" + candidates);
			}
		}

		private void work() {
			try {
				// back to back while leading, so that a pause lands inside the work of a term
				while (this.writer.workThenWrite().isPresent()) {
					if (Thread.currentThread().isInterrupted()) {
						return;
					}
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

}
