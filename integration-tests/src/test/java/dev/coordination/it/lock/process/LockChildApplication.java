package dev.coordination.it.lock.process;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.etcd.EtcdTemplate;
import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.it.process.ChildSide;
import dev.coordination.lock.DistributedLock;
import dev.coordination.lock.DistributedLockRegistry;
import dev.coordination.lock.LockLostException;
import dev.coordination.session.CoordinationSession;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * An application instance run as a child JVM by {@link LockProcessIT}, in one of three modes
 * ({@code --lock.mode}), reporting on stdout one machine-readable line per event:
 * <ul>
 * <li>{@code increment}: waits for {@value #GO_KEY}, then {@code --lock.count} times locks
 * {@value #LOCK}, reads {@value #COUNTER_KEY} and writes its value plus one (as
 * {@code <value> <token>}) in a transaction guarded by the create revision of its lock key; prints
 * {@code INC <token> <newValue>}, {@code REJECTED <token> <value>}, {@code FAILED <token> <error>} or
 * {@code LOST <token>}, then {@code DONE};</li>
 * <li>{@code hold}: locks {@value #LOCK}, prints {@code HOLDING <token> <nanoTime>} and blocks;</li>
 * <li>{@code wait}: prints {@code WAITING}, locks {@value #LOCK}, prints
 * {@code ACQUIRED <token> <nanoTime>}, then {@code AHEAD <token> <keys>} with the number of lock keys
 * created before its own that etcd still has, and blocks;</li>
 * <li>{@code release}: locks {@value #LOCK}, prints {@code HOLDING <token> <nanoTime>}, waits for
 * {@value #GO_KEY}, unlocks, prints {@code UNLOCKED <token> <nanoTime>} and halts the JVM at once
 * ({@code Runtime.halt}: no shutdown hook, no context close, no lease revoke, as SIGKILL).</li>
 * </ul>
 * Every mode first prints {@code READY <pid>}. {@code System.nanoTime()} is one clock for all processes of a Linux host. The child exits when its
 * stdin reaches end of file, so that it does not outlive the test JVM.
 */
@SpringBootApplication(proxyBeanMethods = false)
public class LockChildApplication {

	static final String LOCK = "counter";

	static final String COUNTER_KEY = "/test/counter";

	static final String GO_KEY = "/test/go";

	public static void main(String[] args) {
		ChildSide.exitWhenParentGone();
		SpringApplication application = new SpringApplication(LockChildApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setKeepAlive(true);
		application.run(args);
	}

	@Bean
	ApplicationRunner lockWorker(DistributedLockRegistry registry, CoordinationSession session, EtcdTemplate etcd,
			@Value("${lock.mode}") String mode, @Value("${lock.count:0}") int count) {
		return (arguments) -> {
			ChildSide.print("READY " + ProcessHandle.current().pid());
			Thread worker = new Thread(() -> {
				try {
					switch (mode) {
						case "increment" -> increment(registry.obtain(LOCK), session, etcd, count);
						case "hold" -> hold(registry.obtain(LOCK), "HOLDING");
						case "wait" -> {
							ChildSide.print("WAITING");
							DistributedLock lock = registry.obtain(LOCK);
							lock.lock();
							long token = lock.fencingToken().orElse(-1);
							ChildSide.print("ACQUIRED " + token + " " + System.nanoTime());
							ChildSide.print("AHEAD " + token + " " + keysCreatedBefore(etcd, token));
							new CountDownLatch(1).await(Duration.ofMinutes(10).toMillis(), TimeUnit.MILLISECONDS);
						}
						case "release" -> releaseAndHalt(registry.obtain(LOCK), etcd);
						default -> ChildSide.print("FAILED 0 unknown-mode-" + mode);
					}
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}, "lock-worker");
			worker.setDaemon(true);
			worker.start();
		};
	}

	private static void increment(DistributedLock lock, CoordinationSession session, EtcdTemplate etcd, int count)
			throws InterruptedException {
		long goDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
		while (etcd.get(GO_KEY).isEmpty()) {
			if (System.nanoTime() - goDeadline > 0) {
				ChildSide.print("FAILED 0 no-go");
				return;
			}
			TimeUnit.MILLISECONDS.sleep(20);
		}
		for (int done = 0; done < count;) {
			try {
				lock.lock();
			}
			catch (EtcdAccessException ex) {
				ChildSide.print("FAILED 0 lock-" + ex.getClass().getSimpleName());
				continue;
			}
			long token = lock.fencingToken().orElse(-1);
			try {
				String lockKey = "/locks/" + LOCK + "/" + EtcdKeys.leaseHex(session.leaseId());
				Optional<KeyValue> current = etcd.get(COUNTER_KEY);
				long value = current.map((kv) -> Long.parseLong(EtcdKeys.string(kv.getValue()).split(" ")[0])).orElse(0L);
				TxnResponse response = etcd.txn("fenced increment", (txn) -> txn
					.If(new Cmp(EtcdKeys.bytes(lockKey), Cmp.Op.EQUAL, CmpTarget.createRevision(token)))
					.Then(Op.put(EtcdKeys.bytes(COUNTER_KEY), EtcdKeys.bytes((value + 1) + " " + token),
							PutOption.DEFAULT)));
				if (response.isSucceeded()) {
					ChildSide.print("INC " + token + " " + (value + 1));
					done++;
				}
				else {
					ChildSide.print("REJECTED " + token + " " + value);
				}
			}
			catch (EtcdAccessException ex) {
				// indeterminate: the write may still be applied, which the test reads from etcd
				ChildSide.print("FAILED " + token + " " + ex.getClass().getSimpleName());
			}
			finally {
				try {
					lock.unlock();
				}
				catch (LockLostException ex) {
					ChildSide.print("LOST " + token);
				}
			}
		}
		ChildSide.print("DONE");
	}

	private static long keysCreatedBefore(EtcdTemplate etcd, long token) {
		String prefix = "/locks/" + LOCK + "/";
		// etcd counts before it filters by revision: read the keys
		return etcd.call("keys ahead", () -> etcd.getClient()
			.getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder()
				.withRange(EtcdKeys.bytes("/locks/" + LOCK + "0"))
				.withMaxCreateRevision(token - 1)
				.withKeysOnly(true)
				.build()))
			.getKvs()
			.size();
	}

	private static void releaseAndHalt(DistributedLock lock, EtcdTemplate etcd) throws InterruptedException {
		lock.lock();
		long token = lock.fencingToken().orElse(-1);
		ChildSide.print("HOLDING " + token + " " + System.nanoTime());
		while (etcd.get(GO_KEY).isEmpty()) {
			TimeUnit.MILLISECONDS.sleep(5);
		}
		lock.unlock();
		ChildSide.print("UNLOCKED " + token + " " + System.nanoTime());
		Runtime.getRuntime().halt(0);
	}

	private static void hold(DistributedLock lock, String kind) throws InterruptedException {
		lock.lock();
		ChildSide.print(kind + " " + lock.fencingToken().orElse(-1) + " " + System.nanoTime());
		// hold until the process is killed
		new CountDownLatch(1).await(Duration.ofMinutes(10).toMillis(), TimeUnit.MILLISECONDS);
	}

}
