package dev.coordination.etcd.internal;

import java.time.Duration;

import dev.coordination.etcd.EtcdTemplate;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link WatchProgress}: which etcd versions are asked for progress.
 */
class WatchProgressTests {

	@Test
	void etcdAnswersProgressInOrderFrom3431And3513On() {
		assertThat(WatchProgress.answersInOrder("3.4.23")).as("Debian bookworm").isFalse();
		assertThat(WatchProgress.answersInOrder("3.4.30")).isFalse();
		assertThat(WatchProgress.answersInOrder("3.4.31")).isTrue();
		assertThat(WatchProgress.answersInOrder("3.5.8")).as("#15220 fixed, #17557 not").isFalse();
		assertThat(WatchProgress.answersInOrder("3.5.12")).isFalse();
		assertThat(WatchProgress.answersInOrder("3.5.13")).isTrue();
		assertThat(WatchProgress.answersInOrder("3.5.16")).as("Debian trixie").isTrue();
		assertThat(WatchProgress.answersInOrder("3.6.0")).isTrue();
		assertThat(WatchProgress.answersInOrder("v3.6.5")).isTrue();
		assertThat(WatchProgress.answersInOrder("4.0.0")).isTrue();
		assertThat(WatchProgress.answersInOrder("3.3.27")).isFalse();
		assertThat(WatchProgress.answersInOrder("2.3.8")).isFalse();
		assertThat(WatchProgress.answersInOrder("")).isFalse();
		assertThat(WatchProgress.answersInOrder("unknown")).isFalse();
	}

	@Test
	void offNeverAsks() {
		WatchProgress off = WatchProgress.off();
		assertThat(off.interval()).isZero();
		assertThat(off.trusted()).isFalse();
	}

	@Test
	void aZeroIntervalNeverAsks() {
		// nothing listens on port 1: a check would fail, but none is made
		try (Client client = Client.builder().endpoints("http://127.0.0.1:1").build()) {
			WatchProgress zero = new WatchProgress(new EtcdTemplate(client, Duration.ofSeconds(1)), Duration.ZERO);
			assertThat(zero.interval()).isZero();
			assertThat(zero.trusted()).isFalse();
		}
	}

}
