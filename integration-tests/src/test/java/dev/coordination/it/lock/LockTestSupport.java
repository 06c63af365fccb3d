package dev.coordination.it.lock;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.coordination.etcd.internal.EtcdKeys;
import dev.coordination.session.CoordinationSession;
import dev.coordination.test.junit.EtcdExtension;
import io.etcd.jetcd.options.GetOption;

import org.springframework.boot.test.context.assertj.AssertableApplicationContext;

import static org.awaitility.Awaitility.await;

/**
 * What the lock tests ask of etcd and of an instance.
 */
final class LockTestSupport {

	private LockTestSupport() {
	}

	/**
	 * The etcdctl of the etcd the tests run on: the one beside {@code etcd.binary} or
	 * {@code ETCD_BINARY} when there is one there (so the Go client of the same version takes part),
	 * else etcdctl from the {@code PATH}.
	 * @return the command
	 */
	static String etcdctl() {
		String binary = System.getProperty("etcd.binary");
		if (binary == null || binary.isBlank()) {
			binary = System.getenv("ETCD_BINARY");
		}
		if (binary != null && !binary.isBlank()) {
			Path beside = Path.of(binary.trim()).resolveSibling("etcdctl");
			if (Files.isExecutable(beside)) {
				return beside.toString();
			}
		}
		return "etcdctl";
	}

	/**
	 * Wait until the instance's session is valid.
	 * @param context the instance
	 * @return its session
	 */
	static CoordinationSession awaitSession(AssertableApplicationContext context) {
		CoordinationSession session = context.getBean(CoordinationSession.class);
		await().atMost(Duration.ofSeconds(5)).until(session::isValid);
		return session;
	}

	/**
	 * The number of keys under a prefix, read with the test's own client.
	 * @param etcd the test's etcd
	 * @param prefix the prefix
	 * @return the number of keys
	 * @throws Exception when etcd does not answer in 5 s
	 */
	static long keysUnder(EtcdExtension etcd, String prefix) throws Exception {
		return etcd.client()
			.getKVClient()
			.get(EtcdKeys.bytes(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())
			.get(5, TimeUnit.SECONDS)
			.getCount();
	}

	/**
	 * Wait until no key is under a prefix: a lock's release deletes its key in the background, after
	 * {@code unlock()} returned.
	 * @param etcd the test's etcd
	 * @param prefix the prefix
	 */
	static void awaitNoKeysUnder(EtcdExtension etcd, String prefix) {
		await().atMost(Duration.ofSeconds(5)).until(() -> keysUnder(etcd, prefix) == 0);
	}

	/**
	 * One thread that holds what it acquires, as lock ownership needs. Every call waits at most 30 s.
	 *
	 * @param thread the thread
	 */
	record Actor(ExecutorService thread) {

		<T> T call(Callable<T> task) throws Exception {
			return this.thread.submit(task).get(30, TimeUnit.SECONDS);
		}

		void run(ThrowingRunnable task) throws Exception {
			call(() -> {
				task.run();
				return null;
			});
		}

		<T> Future<T> submit(Callable<T> task) {
			return this.thread.submit(task);
		}

	}

	/**
	 * A task that may throw.
	 */
	@FunctionalInterface
	interface ThrowingRunnable {

		void run() throws Exception;

	}

}
