package dev.coordination.it.lock.process;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.process.ChildLine;
import dev.coordination.it.process.ChildProcess;
import dev.coordination.it.process.ChildProcesses;
import dev.coordination.it.process.LeftoverKeys;
import dev.coordination.test.EtcdSpec;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Distributed locks among application instances that are separate JVMs
 * ({@link LockChildApplication}), against a real etcd: fenced increments of one shared counter
 * lose nothing and never go back in token, and a lock held by a SIGKILLed process passes to a waiter
 * of another process once the session lease expires. Session TTL 2 s, safety margin 500 ms, request
 * timeout 1 s.
 */
class LockProcessIT {

	private static final Log logger = LogFactory.getLog(LockProcessIT.class);

	private static final Duration TTL = Duration.ofSeconds(2);

	private static final Duration STARTUP = Duration.ofSeconds(30);

	private static final String LOCK_PREFIX = "/locks/" + LockChildApplication.LOCK + "/";

	@RegisterExtension
	static final EtcdExtension etcd = EtcdExtension.create(EtcdSpec.builder().requireLaunched().build());

	@RegisterExtension
	final ChildProcesses children = new ChildProcesses();

	@BeforeEach
	void startFromNoLocks() throws Exception {
		// keys of an earlier test's killed children live on until their lease expires
		LeftoverKeys.remove(etcd.client(), "/locks/");
		KV kv = etcd.client().getKVClient();
		kv.delete(EtcdKeys.bytes("/test/"), DeleteOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS);
	}

	@Test
	void threeProcessesIncrementOneCounterUnderTheLockWithoutLosingAnIncrementOrGoingBackInToken() throws Exception {
		int[] counts = { 334, 333, 333 };
		for (int number = 1; number <= counts.length; number++) {
			ChildProcess child = this.children.startJvm("incrementer-" + number, LockChildApplication.class,
				etcd.endpointsAsString(), "--lock.mode=increment",
					"--lock.count=" + counts[number - 1]);
			await().atMost(STARTUP).until(() -> !child.lines("READY").isEmpty() || !child.isAlive());
			assertThat(child.isAlive()).as("%s is alive", child).isTrue();
		}
		long startRevision = headRevision();
		etcd.client().getKVClient().put(EtcdKeys.bytes(LockChildApplication.GO_KEY), EtcdKeys.bytes("go"))
			.get(5, TimeUnit.SECONDS);
		long started = System.nanoTime();
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
			.until(() -> this.children.lines("DONE").size() == counts.length || !this.children.lines("FAILED").isEmpty());
		logger.info("1000 fenced increments by 3 processes took "
				+ TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
		assertThat(this.children.lines("FAILED")).isEmpty();
		assertThat(this.children.lines("LOST")).isEmpty();
		assertThat(this.children.lines("REJECTED")).isEmpty();

		List<ChildLine> increments = this.children.lines("INC");
		assertThat(increments).hasSize(1000);
		// each new value was written exactly once: none lost, none duplicated
		assertThat(increments).extracting((line) -> Long.parseLong(line.args().get(1))).doesNotHaveDuplicates()
			.allMatch((value) -> value >= 1 && value <= 1000);
		String finalValue = EtcdKeys.string(etcd.client().getKVClient().get(EtcdKeys.bytes(LockChildApplication.COUNTER_KEY))
			.get(5, TimeUnit.SECONDS).getKvs().get(0).getValue());
		assertThat(Long.parseLong(finalValue.split(" ")[0])).isEqualTo(increments.size());

		// etcd's history of the counter: one write per increment, values 1, 2, 3, ..., tokens never decrease
		Map<Long, String> history = history(LockChildApplication.COUNTER_KEY, startRevision);
		assertThat(history).hasSize(1000);
		long expected = 1;
		long highestToken = 0;
		for (Map.Entry<Long, String> write : history.entrySet()) {
			String[] valueAndToken = write.getValue().split(" ");
			assertThat(Long.parseLong(valueAndToken[0])).as("value at revision %d", write.getKey()).isEqualTo(expected++);
			long token = Long.parseLong(valueAndToken[1]);
			assertThat(token).as("token at revision %d", write.getKey()).isGreaterThanOrEqualTo(highestToken);
			highestToken = token;
		}
	}

	@Test
	void waiterInAnotherProcessAcquiresOnceTheKilledHoldersLeaseExpires() throws Exception {
		ChildProcess holder = this.children.startJvm("holder", LockChildApplication.class,
				etcd.endpointsAsString(), "--lock.mode=hold");
		ChildLine holding = await().atMost(STARTUP)
			.until(() -> holder.lines("HOLDING").stream().findFirst(), Optional::isPresent)
			.get();
		ChildProcess waiter = this.children.startJvm("waiter", LockChildApplication.class,
				etcd.endpointsAsString(), "--lock.mode=wait");
		// the waiter is queued in etcd behind the holder
		await().atMost(STARTUP).until(() -> lockKeys().size() == 2);
		assertThat(lockKeys().get(0).getCreateRevision()).isEqualTo(holding.token());
		await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
			.until(() -> waiter.lines("ACQUIRED").isEmpty());

		long killedAt = System.nanoTime();
		holder.kill();
		ChildLine acquired = await().atMost(TTL.plusSeconds(5)).pollInterval(Duration.ofMillis(10))
			.until(() -> waiter.lines("ACQUIRED").stream().findFirst(), Optional::isPresent)
			.get();
		Duration takeover = Duration.ofNanos(acquired.nanos() - killedAt);
		logger.info("Waiter acquired " + takeover.toMillis() + " ms after the holder was sent SIGKILL");
		assertThat(takeover).isPositive();
		assertThat(acquired.token()).isGreaterThan(holding.token());
		assertThat(lockKeys()).extracting(KeyValue::getCreateRevision).containsExactly(acquired.token());
	}

	@Test
	void keyOfAProcessHaltedRightAfterUnlockIsGoneWithinTheTtlAndTheWaiterHoldsOnlyOnceItIs() throws Exception {
		ChildProcess releaser = this.children.startJvm("releaser", LockChildApplication.class,
				etcd.endpointsAsString(), "--lock.mode=release");
		ChildLine holding = await().atMost(STARTUP)
			.until(() -> releaser.lines("HOLDING").stream().findFirst(), Optional::isPresent)
			.get();
		ChildProcess waiter = this.children.startJvm("waiter", LockChildApplication.class,
				etcd.endpointsAsString(), "--lock.mode=wait");
		await().atMost(STARTUP).until(() -> lockKeys().size() == 2);
		assertThat(lockKeys().get(0).getCreateRevision()).isEqualTo(holding.token());

		etcd.client().getKVClient().put(EtcdKeys.bytes(LockChildApplication.GO_KEY), EtcdKeys.bytes("go"))
			.get(5, TimeUnit.SECONDS);
		// the releaser's JVM halts as soon as unlock() returned, before or after its delete went out
		ChildLine unlocked = await().atMost(Duration.ofSeconds(10))
			.until(() -> releaser.lines("UNLOCKED").stream().findFirst(), Optional::isPresent)
			.get();
		assertThat(releaser.awaitExit(Duration.ofSeconds(10))).isTrue();
		ChildLine acquired = await().atMost(TTL.plusSeconds(5)).pollInterval(Duration.ofMillis(10))
			.until(() -> waiter.lines("ACQUIRED").stream().findFirst(), Optional::isPresent)
			.get();
		logger.info("Waiter acquired " + TimeUnit.NANOSECONDS.toMillis(acquired.nanos() - unlocked.nanos())
				+ " ms after the releaser's unlock() returned");
		// gone once the session lease expired at the latest (etcd looks for expired leases every 500 ms),
		// at once if the delete went out before the halt
		assertThat(Duration.ofNanos(acquired.nanos() - unlocked.nanos())).isLessThan(TTL.plusSeconds(1));
		assertThat(acquired.token()).isGreaterThan(holding.token());
		// when the waiter held, no older key stood in etcd: nobody held while the released key existed
		ChildLine ahead = await().atMost(Duration.ofSeconds(5))
			.until(() -> waiter.lines("AHEAD").stream().findFirst(), Optional::isPresent)
			.get();
		assertThat(ahead.args().get(1)).isEqualTo("0");
		assertThat(lockKeys()).extracting(KeyValue::getCreateRevision).containsExactly(acquired.token());
	}

	private static List<KeyValue> lockKeys() throws Exception {
		GetResponse response = etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(LOCK_PREFIX), GetOption.builder().isPrefix(true).build())
			.get(5, TimeUnit.SECONDS);
		return response.getKvs().stream().sorted(Comparator.comparingLong(KeyValue::getCreateRevision)).toList();
	}

	private static long headRevision() throws Exception {
		return etcd.client().getKVClient().get(EtcdKeys.bytes("/")).get(5, TimeUnit.SECONDS).getHeader().getRevision();
	}

	/**
	 * Every value a key had after a revision, by the revision that wrote it, read back one revision
	 * at a time (the test etcd is never compacted).
	 */
	private static Map<Long, String> history(String key, long afterRevision) throws Exception {
		KV kv = etcd.client().getKVClient();
		long head = headRevision();
		Map<Long, String> history = new TreeMap<>();
		for (long revision = afterRevision + 1; revision <= head; revision++) {
			GetResponse response = kv.get(EtcdKeys.bytes(key), GetOption.builder().withRevision(revision).build())
				.get(5, TimeUnit.SECONDS);
			for (KeyValue value : response.getKvs()) {
				if (value.getModRevision() > afterRevision) {
					history.putIfAbsent(value.getModRevision(), EtcdKeys.string(value.getValue()));
				}
			}
		}
		return history;
	}

}
