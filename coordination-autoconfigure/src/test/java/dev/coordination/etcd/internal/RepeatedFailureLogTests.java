package dev.coordination.etcd.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.commons.logging.Log;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RepeatedFailureLogTests {

	private final RecordingLog log = new RecordingLog();

	private final RepeatedFailureLog failures = new RepeatedFailureLog(this.log);

	@Test
	void theFirstFailureIsOneWarnLineAndRepeatsAreDebugUntilItRecovers() {
		RuntimeException failure = new IllegalStateException("boom");
		assertThat(this.failures.failed("Could not read /a: etcd is unavailable; retrying", failure)).isTrue();
		assertThat(this.failures.failed("Could not read /a: etcd is unavailable; retrying", failure)).isFalse();
		assertThat(this.failures.failed("Could not read /a: etcd did not answer in time; retrying", failure)).isFalse();
		this.failures.recovered("Read /a again");
		this.failures.recovered("Read /a again");
		assertThat(this.failures.failed("Could not read /a: etcd is unavailable; retrying", failure)).isTrue();
		assertThat(this.log.lines).containsExactly(
				"WARN Could not read /a: etcd is unavailable; retrying",
				"DEBUG Could not read /a: etcd is unavailable; retrying with IllegalStateException",
				"DEBUG Again: Could not read /a: etcd is unavailable; retrying with IllegalStateException",
				"DEBUG Again: Could not read /a: etcd did not answer in time; retrying with IllegalStateException",
				"INFO Read /a again",
				"WARN Could not read /a: etcd is unavailable; retrying",
				"DEBUG Could not read /a: etcd is unavailable; retrying with IllegalStateException");
	}

	@Test
	void aFailureOfAnotherKindIsANewFailureAndWarnsAgain() {
		this.failures.failed("etcd", "Could not register a in etcd: etcd is unavailable; retrying", null);
		this.failures.failed("etcd", "Could not register a in etcd: etcd is unavailable; retrying", null);
		assertThat(this.failures.failed("conflict", "Instance id 'a' is registered by another instance", null)).isTrue();
		assertThat(this.failures.failed("conflict", "Instance id 'a' is registered by another instance", null)).isFalse();
		assertThat(this.failures.failed("etcd", "Could not register a in etcd: etcd is unavailable; retrying", null)).isTrue();
		assertThat(this.log.lines).containsExactly(
				"WARN Could not register a in etcd: etcd is unavailable; retrying",
				"DEBUG Again: Could not register a in etcd: etcd is unavailable; retrying",
				"WARN Instance id 'a' is registered by another instance",
				"DEBUG Again: Instance id 'a' is registered by another instance",
				"WARN Could not register a in etcd: etcd is unavailable; retrying");
	}

	@Test
	void resetForgetsTheFailureWithoutLogging() {
		this.failures.failed("Could not register: etcd is unavailable", null);
		assertThat(this.failures.reset()).isTrue();
		assertThat(this.failures.reset()).isFalse();
		assertThat(this.log.lines).containsExactly("WARN Could not register: etcd is unavailable");
	}

	private static final class RecordingLog implements Log {

		final List<String> lines = new CopyOnWriteArrayList<>();

		private void add(String level, Object message, Throwable t) {
			this.lines.add(level + " " + message + ((t != null) ? " with " + t.getClass().getSimpleName() : ""));
		}

		@Override
		public boolean isDebugEnabled() {
			return true;
		}

		@Override
		public boolean isErrorEnabled() {
			return true;
		}

		@Override
		public boolean isFatalEnabled() {
			return true;
		}

		@Override
		public boolean isInfoEnabled() {
			return true;
		}

		@Override
		public boolean isTraceEnabled() {
			return false;
		}

		@Override
		public boolean isWarnEnabled() {
			return true;
		}

		@Override
		public void trace(Object message) {
		}

		@Override
		public void trace(Object message, Throwable t) {
		}

		@Override
		public void debug(Object message) {
			add("DEBUG", message, null);
		}

		@Override
		public void debug(Object message, Throwable t) {
			add("DEBUG", message, t);
		}

		@Override
		public void info(Object message) {
			add("INFO", message, null);
		}

		@Override
		public void info(Object message, Throwable t) {
			add("INFO", message, t);
		}

		@Override
		public void warn(Object message) {
			add("WARN", message, null);
		}

		@Override
		public void warn(Object message, Throwable t) {
			add("WARN", message, t);
		}

		@Override
		public void error(Object message) {
			add("ERROR", message, null);
		}

		@Override
		public void error(Object message, Throwable t) {
			add("ERROR", message, t);
		}

		@Override
		public void fatal(Object message) {
			add("FATAL", message, null);
		}

		@Override
		public void fatal(Object message, Throwable t) {
			add("FATAL", message, t);
		}

	}

}
