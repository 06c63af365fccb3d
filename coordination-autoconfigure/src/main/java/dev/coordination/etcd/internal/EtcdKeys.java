package dev.coordination.etcd.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import io.etcd.jetcd.ByteSequence;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Key codec shared by every capability: UTF-8 keys, prefixes, name segments and lease ids.
 * <p>
 * The namespace ({@code coordination.etcd.namespace}) is applied by the jetcd client itself, so
 * keys here are always relative to it. A name placed inside a key ({@link #segment(String, String)})
 * is percent-encoded so that it never contains {@code /}: a lock named {@code orders} and one named
 * {@code orders/42} must not share a key range.
 */
public final class EtcdKeys {

	private static final char[] HEX = "0123456789ABCDEF".toCharArray();

	private EtcdKeys() {
	}

	/**
	 * UTF-8 bytes of a key or value.
	 * @param text the text
	 * @return its bytes
	 */
	public static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

	/**
	 * Text of a UTF-8 key or value.
	 * @param bytes the bytes
	 * @return the text
	 */
	public static String string(ByteSequence bytes) {
		return bytes.toString(StandardCharsets.UTF_8);
	}

	/**
	 * Normalise a configured key prefix: it must start with {@code /}, must not contain control
	 * characters, and is returned without trailing {@code /}.
	 * @param property the property that configured it, named in the error
	 * @param prefix the configured prefix
	 * @return the normalised prefix, for example {@code /locks}
	 * @throws InvalidConfigurationPropertyValueException when the prefix is not valid
	 */
	public static String prefix(String property, @Nullable String prefix) {
		if (prefix == null || prefix.isBlank() || !prefix.startsWith("/")) {
			throw new InvalidConfigurationPropertyValueException(property, prefix,
					"Must start with '/', like /locks or /services.");
		}
		if (prefix.chars().anyMatch(Character::isISOControl)) {
			throw new InvalidConfigurationPropertyValueException(property, prefix, "Must not contain control characters.");
		}
		String normalised = prefix;
		while (normalised.length() > 1 && normalised.endsWith("/")) {
			normalised = normalised.substring(0, normalised.length() - 1);
		}
		return normalised;
	}

	/**
	 * Encode a name (lock key, election name, service id) as one key segment: {@code /},
	 * {@code %} and control characters are percent-encoded (UTF-8); everything else, spaces and
	 * non-ASCII letters included, is kept as it is.
	 * @param kind what the name is, for example "lock key", named in the error
	 * @param name the name
	 * @return the segment
	 * @throws IllegalArgumentException when the name is null or empty
	 */
	public static String segment(String kind, String name) {
		if (name == null || name.isEmpty()) {
			throw new IllegalArgumentException(kind + " must not be null or empty");
		}
		StringBuilder encoded = new StringBuilder(name.length());
		for (int i = 0; i < name.length(); i++) {
			char c = name.charAt(i);
			if (c == '/' || c == '%' || Character.isISOControl(c)) {
				// all three are ASCII (control characters U+0080..U+009F excepted: two UTF-8 bytes)
				for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
					encoded.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
				}
			}
			else {
				encoded.append(c);
			}
		}
		return encoded.toString();
	}

	/**
	 * Decode a segment made by {@link #segment(String, String)}.
	 * @param segment the segment
	 * @return the name
	 */
	public static String name(String segment) {
		if (segment.indexOf('%') < 0) {
			return segment;
		}
		ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
		int i = 0;
		while (i < segment.length()) {
			if (segment.charAt(i) == '%' && i + 3 <= segment.length()) {
				bytes.write(Integer.parseInt(segment, i + 1, i + 3, 16));
				i += 3;
			}
			else {
				int codePoint = segment.codePointAt(i);
				bytes.writeBytes(Character.toString(codePoint).getBytes(StandardCharsets.UTF_8));
				i += Character.charCount(codePoint);
			}
		}
		return bytes.toString(StandardCharsets.UTF_8);
	}

	/**
	 * Join a normalised prefix and encoded segments with {@code /}.
	 * @param prefix a prefix from {@link #prefix(String, String)}
	 * @param segments encoded segments
	 * @return the key
	 */
	public static String key(String prefix, String... segments) {
		StringBuilder key = new StringBuilder(prefix);
		for (String segment : segments) {
			if (key.length() == 0 || key.charAt(key.length() - 1) != '/') {
				key.append('/');
			}
			key.append(segment);
		}
		return key.toString();
	}

	/**
	 * Lease id as etcd's Go {@code concurrency} package writes it in keys ({@code %x}).
	 * @param leaseId the lease id
	 * @return lower-case hexadecimal without leading zeros
	 */
	public static String leaseHex(long leaseId) {
		return Long.toHexString(leaseId);
	}

}
