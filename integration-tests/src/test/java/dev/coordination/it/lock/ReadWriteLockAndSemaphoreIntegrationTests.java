package dev.coordination.it.lock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
import dev.coordination.lock.DistributedReadWriteLock;
import dev.coordination.lock.DistributedSemaphore.Permit;
import dev.coordination.lock.DistributedSemaphore;
import dev.coordination.lock.HeldLock;
import dev.coordination.lock.LockNotAcquiredException;
import dev.coordination.lock.internal.EtcdLockRegistry;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * What only read-write locks and semaphores do, and fenced writes, with several instances
 * (application contexts with their own client and session) and threads against a real etcd. The
 * contract every kind keeps is in {@link AbstractLockContractTests}.
 */
class ReadWriteLockAndSemaphoreIntegrationTests {

	private static final Duration TTL = Duration.ofSeconds(2);

	private static final Duration SHORT = Duration.ofMillis(300);

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(EtcdAutoConfiguration.class, SessionAutoConfiguration.class,
				LockAutoConfiguration.class))
		.withPropertyValues("coordination.etcd.endpoints=" + etcd.endpointsAsString(),
				"coordination.etcd.request-timeout=1s", "coordination.etcd.session.ttl=" + TTL.toSeconds() + "s",
				"coordination.etcd.session.safety-margin=500ms");

	private final List<ExecutorService> actors = new ArrayList<>();

	@AfterEach
	void stopActorsAndLeaveEtcdRunning() {
		this.actors.forEach(ExecutorService::shutdownNow);
		etcd.cluster().restore(Duration.ofSeconds(15));
	}

	@Test
	void readersOfTwoInstancesShareAndAWriterExcludesThemAndIsExcludedByThem() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> this.contextRunner.run((c) -> {
			DistributedReadWriteLock onA = readWriteLock(a, "document");
			DistributedReadWriteLock onB = readWriteLock(b, "document");
			DistributedReadWriteLock onC = readWriteLock(c, "document");
			Actor readerA = actor();
			Actor readerB = actor();
			Actor writerC = actor();
			assertThat(readerA.call(() -> onA.readLock().tryLock())).isTrue();
			assertThat(readerB.call(() -> onB.readLock().tryLock(1, TimeUnit.SECONDS))).isTrue();
			assertThat(writerC.call(() -> onC.writeLock().tryLock(SHORT.toMillis(), TimeUnit.MILLISECONDS))).isFalse();
			assertThat(keysUnder("/rwlocks/document/read/")).isEqualTo(2);
			assertThat(keysUnder("/rwlocks/document/write/")).isZero();
			readerA.run(() -> onA.readLock().unlock());
			readerB.run(() -> onB.readLock().unlock());
			assertThat(writerC.call(() -> onC.writeLock().tryLock(1, TimeUnit.SECONDS))).isTrue();
			assertThat(readerA.call(() -> onA.readLock().tryLock(SHORT.toMillis(), TimeUnit.MILLISECONDS))).isFalse();
			assertThat(readerA.call(() -> onA.writeLock().tryLock(SHORT.toMillis(), TimeUnit.MILLISECONDS))).isFalse();
			assertThat(keysUnder("/rwlocks/document/")).isEqualTo(1);
			writerC.run(() -> onC.writeLock().unlock());
			assertThat(readerA.call(() -> onA.readLock().tryLock(1, TimeUnit.SECONDS))).isTrue();
			readerA.run(() -> onA.readLock().unlock());
			await().atMost(Duration.ofSeconds(2)).until(() -> keysUnder("/rwlocks/document/") == 0);
		})));
	}

	@Test
	void aQueuedWriterKeepsLaterReadersOutSoWritersDoNotStarve() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> this.contextRunner.run((c) -> {
			DistributedReadWriteLock onA = readWriteLock(a, "queue");
			DistributedReadWriteLock onB = readWriteLock(b, "queue");
			DistributedReadWriteLock onC = readWriteLock(c, "queue");
			Actor readerA = actor();
			Actor writerB = actor();
			Actor readerC = actor();
			assertThat(readerA.call(() -> onA.readLock().tryLock())).isTrue();
			Future<Boolean> writing = writerB.submit(() -> onB.writeLock().tryLock(20, TimeUnit.SECONDS));
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder("/rwlocks/queue/write/") == 1);
			// a reader that comes after the writer waits behind it, although only a reader holds
			assertThat(readerC.call(() -> onC.readLock().tryLock(SHORT.toMillis(), TimeUnit.MILLISECONDS))).isFalse();
			Future<Boolean> reading = readerC.submit(() -> onC.readLock().tryLock(20, TimeUnit.SECONDS));
			readerA.run(() -> onA.readLock().unlock());
			assertThat(writing.get(10, TimeUnit.SECONDS)).isTrue();
			assertThat(reading.isDone()).isFalse();
			writerB.run(() -> onB.writeLock().unlock());
			assertThat(reading.get(10, TimeUnit.SECONDS)).isTrue();
			readerC.run(() -> onC.readLock().unlock());
			await().atMost(Duration.ofSeconds(2)).until(() -> keysUnder("/rwlocks/queue/") == 0);
		})));
	}

	@Test
	void aWriterDowngradesToReadingWhileAnotherInstancesWriterWaits() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			DistributedReadWriteLock onA = readWriteLock(a, "downgrade");
			DistributedReadWriteLock onB = readWriteLock(b, "downgrade");
			Actor writerA = actor();
			Actor writerB = actor();
			assertThat(writerA.call(() -> onA.writeLock().tryLock(1, TimeUnit.SECONDS))).isTrue();
			Future<Boolean> waiting = writerB.submit(() -> onB.writeLock().tryLock(20, TimeUnit.SECONDS));
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder("/rwlocks/downgrade/write/") == 2);
			// the read lock comes at once under the write key, although a writer queues behind it
			assertThat(writerA.call(() -> onA.readLock().tryLock(SHORT.toMillis(), TimeUnit.MILLISECONDS))).isTrue();
			writerA.run(() -> onA.writeLock().unlock());
			assertThat(writerA.call(() -> onA.readLock().isHeldByCurrentThread())).isTrue();
			assertThat(a.getBean(EtcdLockRegistry.class).heldLocks()).extracting(HeldLock::kind)
				.containsExactly(HeldLock.Kind.READ);
			// still reading: the other instance's writer keeps waiting
			assertThat(keysUnder("/rwlocks/downgrade/write/")).isEqualTo(2);
			assertThat(waiting.isDone()).isFalse();
			writerA.run(() -> onA.readLock().unlock());
			assertThat(waiting.get(10, TimeUnit.SECONDS)).isTrue();
			writerB.run(() -> onB.writeLock().unlock());
			await().atMost(Duration.ofSeconds(2)).until(() -> keysUnder("/rwlocks/downgrade/") == 0);
		}));
	}

	@Test
	void readersOfOneInstanceThatKeepOverlappingDoNotStarveAnotherInstancesWriter() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			DistributedReadWriteLock onA = readWriteLock(a, "busy");
			DistributedReadWriteLock onB = readWriteLock(b, "busy");
			Actor holding = actor();
			Actor next = actor();
			assertThat(holding.call(() -> onA.readLock().tryLock(1, TimeUnit.SECONDS))).isTrue();
			Future<Boolean> writing = actor().submit(() -> {
				boolean acquired = onB.writeLock().tryLock(5, TimeUnit.SECONDS);
				if (acquired) {
					onB.writeLock().unlock();
				}
				return acquired;
			});
			await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder("/rwlocks/busy/write/") == 1);
			// A always has a reader: each new one starts before the one before it stops
			int handOvers = 0;
			while (!writing.isDone()) {
				Actor reader = next;
				Future<Boolean> reading = reader.submit(() -> onA.readLock().tryLock(10, TimeUnit.SECONDS));
				try {
					reading.get(200, TimeUnit.MILLISECONDS);
				}
				catch (java.util.concurrent.TimeoutException ex) {
					// it queued behind the writer instead of joining: let the writer in
				}
				holding.run(() -> onA.readLock().unlock());
				assertThat(reading.get(15, TimeUnit.SECONDS)).isTrue();
				next = holding;
				holding = reader;
				handOvers++;
			}
			assertThat(writing.get()).as("the writer got in after %d reader hand-overs", handOvers).isTrue();
			holding.run(() -> onA.readLock().unlock());
			await().atMost(Duration.ofSeconds(2)).until(() -> keysUnder("/rwlocks/busy/") == 0);
		}));
	}

	@Test
	void threadsOfOneInstanceShareOneReadKeyReenterAndDowngrade() {
		this.contextRunner.run((context) -> {
			DistributedReadWriteLock lock = readWriteLock(context, "local");
			EtcdLockRegistry registry = context.getBean(EtcdLockRegistry.class);
			Actor first = actor();
			Actor second = actor();
			assertThat(first.call(() -> lock.readLock().tryLock(1, TimeUnit.SECONDS))).isTrue();
			assertThat(second.call(() -> lock.readLock().tryLock(1, TimeUnit.SECONDS))).isTrue();
			assertThat(keysUnder("/rwlocks/local/read/")).isEqualTo(1);
			assertThat(first.call(() -> lock.readLock().fencingToken().getAsLong()))
				.isEqualTo(second.call(() -> lock.readLock().fencingToken().getAsLong()));
			assertThat(registry.heldLocks()).singleElement()
				.satisfies((held) -> assertThat(held.kind()).isEqualTo(HeldLock.Kind.READ));
			// reentrant read, then both readers leave: the shared key goes with the last one
			assertThat(first.call(() -> lock.readLock().tryLock())).isTrue();
			first.run(() -> lock.readLock().unlock());
			first.run(() -> lock.readLock().unlock());
			assertThat(keysUnder("/rwlocks/local/read/")).isEqualTo(1);
			second.run(() -> lock.readLock().unlock());
			assertThat(keysUnder("/rwlocks/local/read/")).isZero();
			assertThat(first.call(() -> lock.readLock().isHeldByCurrentThread())).isFalse();
			// a writer may read, under its write key, and keep reading after it stops writing (a downgrade)
			first.run(() -> {
				lock.writeLock().lock();
				lock.writeLock().lock();
				assertThat(lock.readLock().tryLock(1, TimeUnit.SECONDS)).isTrue();
				assertThat(lock.writeLock().fencingToken()).isEqualTo(lock.readLock().fencingToken());
				lock.writeLock().unlock();
				lock.writeLock().unlock();
				assertThat(lock.writeLock().isHeldByCurrentThread()).isFalse();
				assertThat(lock.readLock().isHeldByCurrentThread()).isTrue();
			});
			assertThat(keysUnder("/rwlocks/local/write/")).isOne();
			assertThat(registry.heldLocks()).extracting(HeldLock::kind).containsExactly(HeldLock.Kind.READ);
			// another reader of this instance reads beside it, under a read key of its own
			assertThat(second.call(() -> lock.readLock().tryLock(1, TimeUnit.SECONDS))).isTrue();
			assertThat(keysUnder("/rwlocks/local/read/")).isOne();
			assertThat(second.call(() -> lock.writeLock().tryLock(SHORT.toMillis(), TimeUnit.MILLISECONDS))).isFalse();
			second.run(() -> lock.readLock().unlock());
			first.run(() -> lock.readLock().unlock());
			assertThat(keysUnder("/rwlocks/")).isZero();
			assertThat(registry.heldLocks()).isEmpty();
			assertThatExceptionOfType(IllegalMonitorStateException.class).isThrownBy(() -> lock.readLock().unlock())
				.withMessageContaining("read lock of 'local'");
		});
	}

	@Test
	void readWriteTimeoutsLeaveNoKeyAndExecuteLockedNamesWhatWasNotAcquired() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			DistributedReadWriteLock onA = readWriteLock(a, "timeouts");
			DistributedReadWriteLock onB = readWriteLock(b, "timeouts");
			Actor writerA = actor();
			Actor other = actor();
			assertThat(writerA.call(() -> onA.writeLock().tryLock())).isTrue();
			assertThat(other.call(() -> onB.readLock().tryLock())).isFalse();
			assertThat(other.call(() -> onB.readLock().tryLock(SHORT.toMillis(), TimeUnit.MILLISECONDS))).isFalse();
			assertThat(other.call(() -> onB.writeLock().tryLock(SHORT.toMillis(), TimeUnit.MILLISECONDS))).isFalse();
			assertThat(other.call(() -> {
				try {
					return onB.writeLock().executeLocked(Duration.ZERO, () -> "ran");
				}
				catch (LockNotAcquiredException ex) {
					return ex.getMessage();
				}
			})).isEqualTo("The write lock of 'timeouts' was not acquired within 0 ms");
			assertThat(keysUnder("/rwlocks/timeouts/")).isEqualTo(1);
			writerA.run(() -> onA.writeLock().unlock());
			assertThat(keysUnder("/rwlocks/timeouts/")).isZero();
		}));
	}

	@Test
	void aSemaphoreNeverHandsOutMoreThanItsPermitsAcrossInstancesAndThreads() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> this.contextRunner.run((c) -> {
			int permits = 2;
			AtomicInteger inside = new AtomicInteger();
			AtomicInteger mostInside = new AtomicInteger();
			AtomicInteger passes = new AtomicInteger();
			List<Future<?>> workers = new ArrayList<>();
			for (AssertableApplicationContext context : List.of(a, b, c)) {
				awaitSession(context);
				DistributedSemaphore semaphore = context.getBean(DistributedLockRegistry.class).semaphore("pool", permits);
				for (int t = 0; t < 2; t++) {
					workers.add(actor().submit(() -> {
						for (int i = 0; i < 10; i++) {
							try (Permit permit = semaphore.tryAcquire(Duration.ofSeconds(30)).orElseThrow()) {
								mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
								assertThat(permit.isValid()).isTrue();
								assertThat(keysUnder("/semaphores/pool/")).isLessThanOrEqualTo(permits + 3L);
								TimeUnit.MILLISECONDS.sleep(20);
								inside.decrementAndGet();
								passes.incrementAndGet();
							}
						}
						return null;
					}));
				}
			}
			for (Future<?> worker : workers) {
				worker.get(90, TimeUnit.SECONDS);
			}
			assertThat(passes.get()).isEqualTo(60);
			// never more than the permits inside, and the permits were really used together
			assertThat(mostInside.get()).isEqualTo(permits);
			assertThat(keysUnder("/semaphores/pool/")).isZero();
		})));
	}

	@Test
	void keyNamesAreReusedSoThatEtcdsIndexDoesNotGrowWithEveryAcquisition() {
		this.contextRunner.run((context) -> {
			awaitSession(context);
			DistributedLockRegistry registry = context.getBean(DistributedLockRegistry.class);
			List<String> created = new java.util.concurrent.CopyOnWriteArrayList<>();
			long revision = etcd.client().getKVClient().get(EtcdKeys.bytes("/")).get(5, TimeUnit.SECONDS).getHeader()
				.getRevision();
			try (var semaphores = etcd.client().getWatchClient().watch(EtcdKeys.bytes("/semaphores/names/"),
					io.etcd.jetcd.options.WatchOption.builder().withRevision(revision + 1).withNoDelete(true)
						.isPrefix(true).build(),
					(response) -> response.getEvents().forEach((event) -> created.add(EtcdKeys.string(event.getKeyValue().getKey()))));
					var reads = etcd.client().getWatchClient().watch(EtcdKeys.bytes("/rwlocks/names/"),
							io.etcd.jetcd.options.WatchOption.builder().withRevision(revision + 1).withNoDelete(true)
								.isPrefix(true).build(),
							(response) -> response.getEvents().forEach((event) -> created.add(EtcdKeys.string(event.getKeyValue().getKey()))))) {
				for (int i = 0; i < 10; i++) {
					registry.semaphore("names", 2).acquire().release();
					DistributedLock read = registry.readWriteLock("names").readLock();
					read.lock();
					read.unlock();
					DistributedLock write = registry.readWriteLock("names").writeLock();
					write.lock();
					write.unlock();
				}
				await().atMost(Duration.ofSeconds(5)).until(() -> created.size() == 30);
			}
			// one name per kind, each used ten times
			assertThat(created.stream().distinct()).hasSize(3);
		});
	}

	@Test
	void semaphoreTimeoutsLeaveNoKeyAndBadUseIsRejectedClearly() {
		this.contextRunner.run((a) -> this.contextRunner.run((b) -> {
			awaitSession(a);
			awaitSession(b);
			DistributedSemaphore onA = a.getBean(DistributedLockRegistry.class).semaphore("single", 1);
			DistributedSemaphore onB = b.getBean(DistributedLockRegistry.class).semaphore("single", 1);
			assertThat(onA.availablePermits()).isOne();
			Permit permit = onA.tryAcquire(Duration.ZERO).orElseThrow();
			assertThat(onA.availablePermits()).isZero();
			assertThat(onB.tryAcquire(Duration.ZERO)).isEmpty();
			assertThat(actor().call(() -> onB.tryAcquire(SHORT))).isEmpty();
			assertThatExceptionOfType(LockNotAcquiredException.class)
				.isThrownBy(() -> onB.executeWithPermit(Duration.ZERO, () -> "ran"))
				.withMessage("A permit of semaphore 'single' was not acquired within 0 ms");
			assertThat(keysUnder("/semaphores/single/")).isOne();
			assertThat(b.getBean(EtcdLockRegistry.class).heldLocks()).isEmpty();
			assertThat(a.getBean(EtcdLockRegistry.class).heldLocks()).singleElement()
				.satisfies((held) -> assertThat(held.kind()).isEqualTo(HeldLock.Kind.PERMIT))
				.satisfies((held) -> assertThat(held.token()).isEqualTo(permit.token()));
			// released from another thread: a permit is not owned by a thread
			actor().run(permit::release);
			assertThat(permit.isValid()).isFalse();
			assertThatIllegalStateException().isThrownBy(permit::release).withMessageContaining("released before");
			assertThat(onB.executeWithPermit(Duration.ofSeconds(1), () -> "ran")).isEqualTo("ran");
			assertThat(keysUnder("/semaphores/single/")).isZero();
			DistributedLockRegistry registry = a.getBean(DistributedLockRegistry.class);
			assertThatIllegalArgumentException().isThrownBy(() -> registry.semaphore("single", 2))
				.withMessageContaining("Semaphore 'single' is used with 1 permits in this instance, not 2");
			assertThatIllegalArgumentException().isThrownBy(() -> registry.semaphore("zero", 0))
				.withMessageContaining("Semaphore 'zero' needs at least 1 permit, got 0");
			assertThatIllegalArgumentException().isThrownBy(() -> registry.semaphore("", 1))
				.withMessageContaining("semaphore key");
			assertThatIllegalArgumentException().isThrownBy(() -> registry.readWriteLock(null))
				.withMessageContaining("read-write lock key");
			assertThatIllegalArgumentException().isThrownBy(() -> onA.tryAcquire(Duration.ofSeconds(-1)))
				.withMessageContaining("must not be negative");
		}));
	}

	@Test
	void fencedWritesApplyWhileTheHoldExistsAndAreRejectedOnceItIsGone() {
		this.contextRunner.run((context) -> {
			CoordinationSession session = awaitSession(context);
			DistributedLockRegistry registry = context.getBean(DistributedLockRegistry.class);
			EtcdTemplate etcdTemplate = context.getBean(EtcdTemplate.class);
			String lease = EtcdKeys.leaseHex(session.leaseId());
			Actor holder = actor();
			DistributedLock lock = registry.obtain("fenced");
			DistributedReadWriteLock readWrite = registry.readWriteLock("fenced");
			holder.run(() -> {
				lock.lock();
				readWrite.writeLock().lock();
				assertThat(lock.fencedWrite(FencedWrite.put("/test/fenced/lock", "1")).applied()).isTrue();
				assertThat(readWrite.writeLock().fencedWrite(FencedWrite.put("/test/fenced/write", "1")).applied())
					.isTrue();
				// the caller's own conditions join the fence
				WriteResult failedCondition = lock
					.fencedWrite(FencedWrite.put("/test/fenced/lock", "x").ifValue("/test/fenced/lock", "0"));
				assertThat(failedCondition.applied()).isFalse();
				assertThat(failedCondition.holdExists()).isTrue();
				assertThat(lock.fencedWrite(FencedWrite.put("/test/fenced/lock", "2").ifValue("/test/fenced/lock", "1"))
					.applied()).isTrue();
			});
			// the holds vanish behind the holders' backs, as when their lease expired during a pause
			etcdTemplate.delete("/locks/fenced/" + lease);
			etcdTemplate.deletePrefix("/rwlocks/fenced/write/");
			holder.run(() -> {
				assertThat(lock.isHeldByCurrentThread()).isTrue();
				WriteResult stale = lock.fencedWrite(FencedWrite.put("/test/fenced/lock", "stale"));
				assertThat(stale.applied()).isFalse();
				assertThat(stale.holdExists()).isFalse();
				assertThat(readWrite.writeLock().fencedWrite(FencedWrite.put("/test/fenced/write", "stale")).applied())
					.isFalse();
				lock.unlock();
				readWrite.writeLock().unlock();
			});
			assertThat(etcdTemplate.get("/test/fenced/lock").map((kv) -> EtcdKeys.string(kv.getValue()))).contains("2");
			assertThat(etcdTemplate.get("/test/fenced/write").map((kv) -> EtcdKeys.string(kv.getValue()))).contains("1");
			assertThatExceptionOfType(IllegalMonitorStateException.class)
				.isThrownBy(() -> lock.fencedWrite(FencedWrite.put("/test/fenced/lock", "3")))
				.withMessageContaining("not held by the current thread");
		});
	}

	@Test
	void overlappingPrefixesFailStartUpNamingTheProperty() {
		this.contextRunner.withPropertyValues("coordination.etcd.lock.semaphore-prefix=/locks/semaphores/")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("coordination.etcd.lock.semaphore-prefix")
				.hasMessageContaining("Overlaps coordination.etcd.lock.prefix (/locks)"));
	}

	private static Op put(String key, String value) {
		return Op.put(EtcdKeys.bytes(key), EtcdKeys.bytes(value), PutOption.DEFAULT);
	}

	private static DistributedReadWriteLock readWriteLock(AssertableApplicationContext context, String key) {
		awaitSession(context);
		return context.getBean(DistributedLockRegistry.class).readWriteLock(key);
	}

	private Actor actor() {
		ExecutorService thread = Executors.newSingleThreadExecutor();
		this.actors.add(thread);
		return new Actor(thread);
	}

	private static CoordinationSession awaitSession(AssertableApplicationContext context) {
		return LockTestSupport.awaitSession(context);
	}

	private static long keysUnder(String prefix) throws Exception {
		return LockTestSupport.keysUnder(etcd, prefix);
	}

}
