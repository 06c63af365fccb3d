package dev.coordination.sample;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import io.etcd.jetcd.ByteSequence;

/**
 * Text to etcd bytes and back, and a path segment made safe for a key: what the sample needs around
 * the low-level {@code EtcdTemplate}.
 */
final class Keys {

	private Keys() {
	}

	static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

	static String text(ByteSequence bytes) {
		return bytes.toString(StandardCharsets.UTF_8);
	}

	static String segment(String name) {
		if (name.isEmpty()) {
			throw new IllegalArgumentException("A name must not be empty");
		}
		return URLEncoder.encode(name, StandardCharsets.UTF_8);
	}

	static String hex(long leaseId) {
		return Long.toHexString(leaseId);
	}

}
