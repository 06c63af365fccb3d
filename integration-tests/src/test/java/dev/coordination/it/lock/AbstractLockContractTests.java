package dev.coordination.it.lock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.coordination.autoconfigure.etcd.EtcdAutoConfiguration;
import dev.coordination.autoconfigure.lock.LockAutoConfiguration;
import dev.coordination.autoconfigure.session.SessionAutoConfiguration;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.FencedWrite;
import dev.coordination.etcd.WriteResult;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.lock.LockTestSupport.Actor;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.DistributedSemaphore.Permit;
import dev.coordination.lock.DistributedSemaphore;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockListener;
import dev.coordination.lock.LockLostEvent;
import dev.coordination.lock.LockLostException;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The contract every lock kind of the registry keeps, against a real etcd, with instances that are
 * application contexts with a client and a session of their own (TTL 2 s, safety margin 500 ms):
 * holds never overlap beyond what the kind allows, across instances and threads; an acquisition
 * that times out or is interrupted leaves no key; a hold lost with its session is signalled before
 * its lease could expire, and its fenced writes are rejected; a release works with the interrupt
 * flag set; re-entry where holds belong to a thread; fencing tokens grow from one hold to the next.
 * <p>
 * Extended once per kind: the lock, the write lock, the read lock (its rivals are writers: readers
 * share), and semaphores of one and of several permits.
 */
abstract class AbstractLockContractTests {

	static final Duration TTL = Duration.ofSeconds(2);

	private static final Duration SHORT = Duration.ofMillis(300);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class))
		.withBean(LostHolds.class)
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"coordination.etcd.session.safety-margin=500ms");

	private final List<ExecutorService> actors = new ArrayList<>();

	/**
	 * The kind under test, of {@code key}, on the instance of {@code registry}.
	 * @param registry the instance's registry
	 * @param key the key
	 * @return the contender
	 */
	abstract Contender contender(DistributedLockRegistry registry, String key);

	/**
	 * The etcd prefix every key of {@code key}'s holds and waiters of this kind goes under.
	 * @param key the key
	 * @return the prefix, ending with {@code /}
	 */
	abstract String keyPrefix(String key);

	/**
	 * What a hold of this kind is reported as.
	 * @return the kind
	 */
	abstract HeldLock.Kind kind();

	/**
	 * What a hold of this kind excludes, or is excluded by: by default the same kind.
	 * @param registry the instance's registry
	 * @param key the key
	 * @return the rival
	 */
	Contender rival(DistributedLockRegistry registry, String key) {
		return contender(registry, key);
	}

	/**
	 * How many holds of this kind there may be at once.
	 * @return the number
	 */
	int permits() {
		return 1;
	}

	/**
	 * How many holds of the rival keep this kind out.
	 * @return the number
	 */
	int excluders() {
		return permits();
	}

	/**
	 * Whether {@code holders} holds of this kind and {@code rivals} of its rival may exist at once.
	 * @param holders the holds of this kind
	 * @param rivals the holds of the rival
	 * @return whether they may
	 */
	boolean mayHoldTogether(int holders, int rivals) {
		return holders + rivals <= permits();
	}

	/**
	 * Whether a hold belongs to the thread that acquired it: it is re-entrant, and interrupt-on-loss
	 * interrupts that thread.
	 * @return whether it does
	 */
	boolean heldByThread() {
		return true;
	}

	@AfterEach
	void stopActorsAndLeaveEtcdRunning() {
		this.actors.forEach(ExecutorService::shutdownNow);
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void holdsOfTwoInstancesAndTwoThreadsEachNeverOverlapBeyondWhatTheKindAllows() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			AtomicInteger holders = new AtomicInteger();
			AtomicInteger rivals = new AtomicInteger();
			List<String> overlaps = new CopyOnWriteArrayList<>();
			List<Future<?>> workers = new ArrayList<>();
			for (AssertableApplicationContext context : List.of(a, b)) {
				DistributedLockRegistry registry = registry(context);
				EtcdTemplate etcdTemplate = context.getBean(EtcdTemplate.class);
				for (boolean rival : List.of(false, true)) {
					Contender contender = rival ? rival(registry, "exclusion") : contender(registry, "exclusion");
					AtomicInteger inside = rival ? rivals : holders;
					workers.add(actor().submit(() -> {
						for (int i = 0; i < 10; i++) {
							Hold hold = contender.tryAcquire(Duration.ofSeconds(30)).orElseThrow();
							try {
								inside.incrementAndGet();
								if (!mayHoldTogether(holders.get(), rivals.get())) {
									overlaps.add(holders.get() + " holders with " + rivals.get() + " rivals");
								}
								// stay inside for an etcd round trip, so that holds of other threads can meet it
								etcdTemplate.get("/test/exclusion");
								inside.decrementAndGet();
							}
							finally {
								hold.release();
							}
						}
						return null;
					}));
				}
			}
			for (Future<?> worker : workers) {
				worker.get(90, TimeUnit.SECONDS);
			}
			assertThat(overlaps).isEmpty();
			LockTestSupport.awaitNoKeysUnder(etcd, keyPrefix("exclusion"));
		}));
	}

	@Test
	void acquisitionThatTimesOutLeavesNoKeyInEtcd() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			Runnable releaseExcluders = holdExcluders(a, "timeout");
			long keys = keysUnder(keyPrefix("timeout"));
			Contender onB = contender(registry(b), "timeout");
			Actor waiter = actor();
			long start = System.nanoTime();
			assertThat(waiter.call(() -> onB.tryAcquire(SHORT))).isEmpty();
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(SHORT);
			assertThat(waiter.call(() -> onB.tryAcquire(Duration.ZERO))).isEmpty();
			assertThat(keysUnder(keyPrefix("timeout"))).isEqualTo(keys);
			releaseExcluders.run();
			LockTestSupport.awaitNoKeysUnder(etcd, keyPrefix("timeout"));
			waiter.run(() -> onB.tryAcquire(Duration.ofSeconds(5)).orElseThrow().release());
			LockTestSupport.awaitNoKeysUnder(etcd, keyPrefix("timeout"));
		}));
	}

	@Test
	void aWaiterThatGivesUpInTheMiddleOfTheLineDoesNotLetTheOneBehindItIn() {
		// B queues behind the excluders, C behind them and B; B gives up: C still waits for the excluders
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> this.contextRunner.run((c) -> {
			String key = "middle";
			Runnable releaseExcluders = holdExcluders(a, key);
			long keys = keysUnder(keyPrefix(key));
			Contender onB = contender(registry(b), key);
			Contender onC = contender(registry(c), key);
			Future<Optional<Hold>> bGotIt = actor().submit(() -> onB.tryAcquire(Duration.ofSeconds(3)));
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder(keyPrefix(key)) == keys + 1);
			Actor waiter = actor();
			Future<Hold> cGotIt = waiter.submit(onC::acquire);
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder(keyPrefix(key)) == keys + 2);

			assertThat(bGotIt.get(10, TimeUnit.SECONDS)).isEmpty();
			// B's key gone (C may not be let in already: that is what is checked next)
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder(keyPrefix(key)) <= keys + 1);
			await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !cGotIt.isDone());
			releaseExcluders.run();
			Hold hold = cGotIt.get(10, TimeUnit.SECONDS);
			waiter.run(hold::release);
			LockTestSupport.awaitNoKeysUnder(etcd, keyPrefix(key));
		})));
	}

	@Test
	void interruptingAWaiterThrowsInterruptedExceptionAndLeavesNoKey() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			Runnable releaseExcluders = holdExcluders(a, "interrupted-wait");
			long keys = keysUnder(keyPrefix("interrupted-wait"));
			Contender onB = contender(registry(b), "interrupted-wait");
			ExecutorService waiter = Executors.newSingleThreadExecutor();
			this.actors.add(waiter);
			Future<Throwable> outcome = waiter.submit(() -> {
				try {
					onB.acquire();
					return null;
				}
				catch (InterruptedException ex) {
					return ex;
				}
			});
			// the waiter queues in etcd, then is interrupted
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder(keyPrefix("interrupted-wait")) == keys + 1);
			waiter.shutdownNow();
			assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder(keyPrefix("interrupted-wait")) == keys);
			releaseExcluders.run();
			LockTestSupport.awaitNoKeysUnder(etcd, keyPrefix("interrupted-wait"));
		}));
	}

	@Test
	void holdLostWithItsSessionIsSignalledBeforeTheLeaseCouldExpireAndItsFencedWritesAreRejected() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.interrupt-on-loss=true").run((context) -> {
			CoordinationSession session = LockTestSupport.awaitSession(context);
			LostHolds lost = context.getBean(LostHolds.class);
			DistributedLockRegistry registry = registry(context);
			Contender contender = contender(registry, "loss");
			Actor holder = actor();
			Hold hold = holder.call(() -> contender.tryAcquire(Duration.ofSeconds(5)).orElseThrow());
			long token = hold.token();
			String key = keyCreatedAt(keyPrefix("loss"), token);
			CountDownLatch letGo = new CountDownLatch(1);
			Future<Boolean> interrupted = holder.submit(() -> {
				try {
					letGo.await(30, TimeUnit.SECONDS);
					return false;
				}
				catch (InterruptedException ex) {
					return true;
				}
			});
			AtomicLong acknowledgedSent = new AtomicLong();
			etcd.cluster().member(0).pause();
			await().atMost(TTL.plusSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> {
				if (session.info().valid()) {
					acknowledgedSent.set(session.info().acknowledgedSentNanos());
				}
				return !lost.events.isEmpty();
			});
			assertThat(etcd.cluster().member(0).isPaused()).isTrue();
			assertThat(lost.events).singleElement().satisfies((event) -> {
				assertThat(event.getLock().key()).isEqualTo("loss");
				assertThat(event.getLock().kind()).isEqualTo(kind());
				assertThat(event.getLock().token()).isEqualTo(token);
			});
			// told before the lease could expire on etcd: the safety deadline
			assertThat(lost.receivedAt.get() - acknowledgedSent.get()).isLessThan(TTL.toNanos());
			if (heldByThread()) {
				assertThat(interrupted.get(5, TimeUnit.SECONDS)).isTrue();
			}
			else {
				letGo.countDown();
				assertThat(interrupted.get(5, TimeUnit.SECONDS)).isFalse();
			}
			assertThat(holder.call(hold::isValid)).isFalse();
			assertThat(registry.heldLocks()).isEmpty();
			assertThatExceptionOfType(ExecutionException.class)
				.isThrownBy(() -> holder.run(() -> hold.fencedWrite(FencedWrite.put("/test/loss", "stale"))))
				.havingCause()
				.isInstanceOf(LockLostException.class)
				.withMessageStartingWith("Lock 'loss' (token " + token + ") was lost while held");
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> holder.run(hold::release))
				.havingCause()
				.isInstanceOf(LockLostException.class)
				.withMessageStartingWith("Lock 'loss' (token " + token + ") was lost while held");
			etcd.cluster().member(0).resume();
			// once its key is gone, a write fenced by the lost hold's token is rejected by etcd itself
			EtcdTemplate etcdTemplate = context.getBean(EtcdTemplate.class);
			await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> etcdTemplate.get(key).isEmpty());
			WriteResult stale = etcdTemplate.fencedWrite(key, token, FencedWrite.put("/test/loss", "stale"));
			assertThat(stale.applied()).isFalse();
			assertThat(stale.holdExists()).isFalse();
			assertThat(etcdTemplate.get("/test/loss")).isEmpty();
			// the next hold, on the next session lease, has a greater token
			Hold next = holder.call(() -> contender.tryAcquire(Duration.ofSeconds(10)).orElseThrow());
			assertThat(next.token()).isGreaterThan(token);
			holder.run(next::release);
		});
	}

	@Test
	void releaseWithTheInterruptFlagSetDeletesTheKeyAndKeepsTheFlag() {
		this.contextRunner.run((context) -> {
			Contender contender = contender(registry(context), "interrupted-release");
			assertThat(actor().call(() -> {
				Hold hold = contender.tryAcquire(Duration.ofSeconds(5)).orElseThrow();
				Thread.currentThread().interrupt();
				hold.release();
				return Thread.interrupted();
			})).isTrue();
			LockTestSupport.awaitNoKeysUnder(etcd, keyPrefix("interrupted-release"));
		});
	}

	@Test
	void aSecondAcquisitionByTheHoldingThreadIsReentrantOrASeparateHoldAsTheKindSays() {
		this.contextRunner.run((context) -> {
			Contender contender = contender(registry(context), "reentrant");
			Actor holder = actor();
			Hold outer = holder.call(() -> contender.tryAcquire(Duration.ofSeconds(5)).orElseThrow());
			if (heldByThread()) {
				// re-entrant: the same key and token until the last release
				Hold inner = holder.call(() -> contender.tryAcquire(Duration.ZERO).orElseThrow());
				assertThat(inner.token()).isEqualTo(outer.token());
				assertThat(keysUnder(keyPrefix("reentrant"))).isOne();
				holder.run(inner::release);
				assertThat(holder.call(outer::isValid)).isTrue();
				assertThat(keysUnder(keyPrefix("reentrant"))).isOne();
			}
			else {
				// permits belong to no thread: a second one is a hold of its own, or none when all are taken
				Optional<Hold> second = holder.call(() -> contender.tryAcquire(Duration.ZERO));
				if (permits() > 1) {
					assertThat(second).hasValueSatisfying((hold) -> assertThat(hold.token()).isGreaterThan(outer.token()));
					assertThat(keysUnder(keyPrefix("reentrant"))).isEqualTo(2);
					holder.run(second.get()::release);
				}
				else {
					assertThat(second).isEmpty();
				}
				assertThat(holder.call(outer::isValid)).isTrue();
				assertThat(keysUnder(keyPrefix("reentrant"))).isOne();
			}
			holder.run(outer::release);
			assertThat(holder.call(outer::isValid)).isFalse();
			LockTestSupport.awaitNoKeysUnder(etcd, keyPrefix("reentrant"));
		});
	}

	@Test
	void fencingTokensGrowFromOneHoldToTheNextAcrossInstancesAndFenceTheirWrites() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			List<Contender> contenders = List.of(contender(registry(a), "tokens"), contender(registry(b), "tokens"));
			Actor holder = actor();
			long last = 0;
			for (int i = 0; i < 4; i++) {
				Contender contender = contenders.get(i % 2);
				Hold hold = holder.call(() -> contender.tryAcquire(Duration.ofSeconds(5)).orElseThrow());
				assertThat(hold.token()).isGreaterThan(last);
				last = hold.token();
				WriteResult write = holder
					.call(() -> hold.fencedWrite(FencedWrite.put("/test/tokens", Long.toString(hold.token()))));
				assertThat(write.applied()).isTrue();
				assertThat(write.holdExists()).isTrue();
				holder.run(hold::release);
			}
			assertThat(a.getBean(EtcdTemplate.class).get("/test/tokens").map((kv) -> EtcdKeys.string(kv.getValue())))
				.contains(Long.toString(last));
		}));
	}

	/**
	 * Hold as many rivals of {@code key} on {@code context}'s instance as keep this kind out, each on
	 * a thread of its own.
	 * @return what releases them all
	 */
	private Runnable holdExcluders(AssertableApplicationContext context, String key) throws Exception {
		List<Runnable> releases = new ArrayList<>();
		for (int i = 0; i < excluders(); i++) {
			Actor blocker = actor();
			Contender rival = rival(registry(context), key);
			Hold hold = blocker.call(() -> rival.tryAcquire(Duration.ofSeconds(5)).orElseThrow());
			releases.add(() -> {
				try {
					blocker.run(hold::release);
				}
				catch (Exception ex) {
					throw new IllegalStateException(ex);
				}
			});
		}
		return () -> releases.forEach(Runnable::run);
	}

	private static DistributedLockRegistry registry(AssertableApplicationContext context) {
		LockTestSupport.awaitSession(context);
		return context.getBean(DistributedLockRegistry.class);
	}

	private Actor actor() {
		ExecutorService thread = Executors.newSingleThreadExecutor();
		this.actors.add(thread);
		return new Actor(thread);
	}

	private static long keysUnder(String prefix) throws Exception {
		return LockTestSupport.keysUnder(etcd, prefix);
	}

	private static String keyCreatedAt(String prefix, long createRevision) throws Exception {
		return etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).withKeysOnly(true).build())
			.get(5, TimeUnit.SECONDS)
			.getKvs()
			.stream()
			.filter((kv) -> kv.getCreateRevision() == createRevision)
			.map(KeyValue::getKey)
			.map(EtcdKeys::string)
			.findFirst()
			.orElseThrow();
	}

	/**
	 * A {@link DistributedLock} as a contender: the lock, or the read or the write lock.
	 * @param lock the lock
	 * @return the contender
	 */
	static Contender lock(DistributedLock lock) {
		return new Contender() {

			@Override
			public Optional<Hold> tryAcquire(Duration waitTime) throws InterruptedException {
				return lock.tryLock(waitTime.toNanos(), TimeUnit.NANOSECONDS) ? Optional.of(new LockHold(lock))
						: Optional.empty();
			}

			@Override
			public Hold acquire() throws InterruptedException {
				lock.lockInterruptibly();
				return new LockHold(lock);
			}

		};
	}

	/**
	 * A {@link DistributedSemaphore} as a contender.
	 * @param semaphore the semaphore
	 * @return the contender
	 */
	static Contender semaphore(DistributedSemaphore semaphore) {
		return new Contender() {

			@Override
			public Optional<Hold> tryAcquire(Duration waitTime) throws InterruptedException {
				return semaphore.tryAcquire(waitTime).map(PermitHold::new);
			}

			@Override
			public Hold acquire() throws InterruptedException {
				return new PermitHold(semaphore.acquire());
			}

		};
	}

	/**
	 * One kind of one key on one instance, as the contract uses it. Calls of a hold are made on the
	 * thread that acquired it.
	 */
	interface Contender {

		Optional<Hold> tryAcquire(Duration waitTime) throws InterruptedException;

		Hold acquire() throws InterruptedException;

	}

	/**
	 * A hold of any kind.
	 */
	interface Hold {

		long token();

		boolean isValid();

		WriteResult fencedWrite(FencedWrite write);

		void release();

	}

	/**
	 * A hold of a lock: its token read when it was acquired.
	 *
	 * @param lock the lock
	 * @param token the fencing token
	 */
	private record LockHold(DistributedLock lock, long token) implements Hold {

		LockHold(DistributedLock lock) {
			this(lock, lock.fencingToken().orElseThrow());
		}

		@Override
		public boolean isValid() {
			return this.lock.isHeldByCurrentThread();
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			return this.lock.fencedWrite(write);
		}

		@Override
		public void release() {
			this.lock.unlock();
		}

	}

	/**
	 * A permit of a semaphore.
	 *
	 * @param permit the permit
	 */
	private record PermitHold(Permit permit) implements Hold {

		@Override
		public long token() {
			return this.permit.token();
		}

		@Override
		public boolean isValid() {
			return this.permit.isValid();
		}

		@Override
		public WriteResult fencedWrite(FencedWrite write) {
			return this.permit.fencedWrite(write);
		}

		@Override
		public void release() {
			this.permit.release();
		}

	}

	/**
	 * A {@link LockListener} bean: what the instance was told it lost, and when.
	 */
	static class LostHolds implements LockListener {

		final List<LockLostEvent> events = new CopyOnWriteArrayList<>();

		final AtomicLong receivedAt = new AtomicLong();

		@Override
		public void lost(LockLostEvent event) {
			this.receivedAt.compareAndSet(0, System.nanoTime());
			this.events.add(event);
		}

	}

}
