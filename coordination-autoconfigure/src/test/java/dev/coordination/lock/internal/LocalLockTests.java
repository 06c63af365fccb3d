package dev.coordination.lock.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link LocalLock}: threads and asynchronous holds in one line.
 */
class LocalLockTests {

	private static final Duration BOUND = Duration.ofSeconds(5);

	private final LocalLock lock = new LocalLock();

	private final ExecutorService threads = Executors.newCachedThreadPool();

	// the deadlines of asynchronous waiters, run when a test says so; a cancelled one is removed
	private final List<Runnable> timeouts = new CopyOnWriteArrayList<>();

	private final LocalLock.DelayedExecutor timer = (task, delayNanos) -> {
		this.timeouts.add(task);
		return () -> this.timeouts.remove(task);
	};

	@AfterEach
	void stop() {
		this.threads.shutdownNow();
	}

	@Test
	void aThreadHoldsReentrantlyAndReleasesAfterItsLastUnlock() throws Exception {
		assertThat(this.lock.tryLock()).isTrue();
		assertThat(this.lock.tryLock(1, TimeUnit.SECONDS)).isTrue();
		assertThat(this.lock.getHoldCount()).isEqualTo(2);
		assertThat(onOtherThread(() -> this.lock.tryLock())).isFalse();
		this.lock.unlock();
		assertThat(this.lock.isHeldByCurrentThread()).isTrue();
		this.lock.unlock();
		assertThat(this.lock.isLocked()).isFalse();
		assertThat(onOtherThread(() -> this.lock.tryLock())).isTrue();
	}

	@Test
	void anotherThreadsUnlockFails() throws Exception {
		this.lock.lock();
		Future<?> other = this.threads.submit(() -> this.lock.unlock());
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> other.get(5, TimeUnit.SECONDS))
			.withCauseInstanceOf(IllegalMonitorStateException.class);
		this.lock.unlock();
	}

	@Test
	void threadsAndAsynchronousHoldsTakeTheLockInTheOrderTheyCame() throws Exception {
		List<String> order = new CopyOnWriteArrayList<>();
		this.lock.lock();
		Object first = new Object();
		CompletableFuture<Boolean> async = this.lock.lockAsync(first, Deadline.after(BOUND.toNanos()), this.timer);
		async.thenRun(() -> order.add("async"));
		Future<?> thread = this.threads.submit(() -> {
			this.lock.lock();
			order.add("thread");
			this.lock.unlock();
		});
		await().atMost(BOUND).until(() -> this.lock.getQueueLength() == 2);
		assertThat(async).isNotDone();
		this.lock.unlock();
		await().atMost(BOUND).until(async::isDone);
		assertThat(async.get()).isTrue();
		assertThat(this.lock.isHeldBy(first)).isTrue();
		// the thread waits for the asynchronous hold, which no thread holds
		assertThat(order).containsExactly("async");
		this.lock.unlock(first);
		thread.get(5, TimeUnit.SECONDS);
		assertThat(order).containsExactly("async", "thread");
		assertThat(this.lock.isLocked()).isFalse();
	}

	@Test
	void aFreeLockIsGrantedToAnAsynchronousHoldAtOnceAndItsDeadlineEndsItsWait() {
		Object holder = new Object();
		assertThat(this.lock.lockAsync(holder, Deadline.after(0), this.timer)).isCompletedWithValue(true);
		Object late = new Object();
		assertThat(this.lock.lockAsync(late, Deadline.after(0), this.timer))
			.as("a single try does not wait").isCompletedWithValue(false);
		CompletableFuture<Boolean> waiting = this.lock.lockAsync(late, Deadline.after(BOUND.toNanos()), this.timer);
		assertThat(this.lock.getQueueLength()).isOne();
		assertThat(this.timeouts).hasSize(1);
		this.timeouts.forEach(Runnable::run);
		assertThat(waiting).isCompletedWithValue(false);
		assertThat(this.timeouts).as("a timeout that ran is no longer scheduled").isEmpty();
		assertThat(this.lock.getQueueLength()).isZero();
		this.lock.unlock(holder);
		assertThat(this.lock.isLocked()).isFalse();
	}

	@Test
	void cancellingAWaitingAsynchronousHoldGivesUpItsPlace() {
		this.lock.lock();
		CompletableFuture<Boolean> waiting = this.lock.lockAsync(new Object(), Deadline.after(BOUND.toNanos()),
				this.timer);
		waiting.cancel(false);
		assertThat(this.lock.getQueueLength()).isZero();
		this.lock.unlock();
		assertThat(this.lock.isLocked()).isFalse();
	}

	@Test
	void aGrantedHoldIsKeptWhenItsFutureIsCancelledAfterwards() throws Exception {
		Object holder = new Object();
		this.lock.lock();
		CompletableFuture<Boolean> granted = this.lock.lockAsync(holder, Deadline.after(BOUND.toNanos()), this.timer);
		this.lock.unlock();
		assertThat(granted).isCompletedWithValue(true);
		assertThat(this.timeouts).as("the timeout of a granted wait is cancelled").isEmpty();
		assertThat(granted.cancel(false)).isFalse();
		assertThat(this.lock.isHeldBy(holder)).isTrue();
		this.lock.unlock(holder);
	}

	@Test
	void aWaitingThreadTimesOutOrIsInterrupted() throws Exception {
		this.lock.lock();
		assertThat(onOtherThread(() -> this.lock.tryLock(50, TimeUnit.MILLISECONDS))).isFalse();
		Future<Boolean> interrupted = this.threads.submit(() -> {
			try {
				this.lock.lockInterruptibly();
				return true;
			}
			catch (InterruptedException ex) {
				return false;
			}
		});
		await().atMost(BOUND).until(() -> this.lock.getQueueLength() == 1);
		this.threads.shutdownNow();
		assertThat(interrupted.get(5, TimeUnit.SECONDS)).isFalse();
		assertThat(this.lock.getQueueLength()).isZero();
		this.lock.unlock();
		assertThat(this.lock.isLocked()).isFalse();
	}

	@Test
	void manyThreadsAndHoldsExcludeEachOther() throws Exception {
		AtomicInteger inside = new AtomicInteger();
		AtomicInteger most = new AtomicInteger();
		AtomicInteger done = new AtomicInteger();
		List<Future<?>> futures = new CopyOnWriteArrayList<>();
		for (int i = 0; i < 8; i++) {
			futures.add(this.threads.submit(() -> {
				for (int j = 0; j < 200; j++) {
					this.lock.lock();
					try {
						most.accumulateAndGet(inside.incrementAndGet(), Math::max);
						inside.decrementAndGet();
					}
					finally {
						this.lock.unlock();
					}
				}
				done.addAndGet(200);
			}));
		}
		ExecutorService completions = Executors.newSingleThreadExecutor();
		try {
			for (int j = 0; j < 200; j++) {
				Object holder = new Object();
				this.lock.lockAsync(holder, Deadline.after(BOUND.toNanos()), this.timer).thenAcceptAsync((granted) -> {
					most.accumulateAndGet(inside.incrementAndGet(), Math::max);
					inside.decrementAndGet();
					done.incrementAndGet();
					this.lock.unlock(holder);
				}, completions);
			}
			for (Future<?> future : futures) {
				future.get(30, TimeUnit.SECONDS);
			}
			await().atMost(BOUND).until(() -> done.get() == 8 * 200 + 200);
		}
		finally {
			completions.shutdownNow();
		}
		assertThat(most).hasValue(1);
		assertThat(this.lock.isLocked()).isFalse();
	}

	private boolean onOtherThread(Callable<Boolean> call) throws Exception {
		return this.threads.submit(call).get(5, TimeUnit.SECONDS);
	}

}
