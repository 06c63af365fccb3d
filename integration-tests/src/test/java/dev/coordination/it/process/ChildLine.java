package dev.coordination.it.process;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One machine-readable line a child printed, such as {@code GRANTED 42 123456789}.
 *
 * @param child the name of the child that printed it
 * @param kind the first word, in upper case: for example {@code READY}, {@code GRANTED},
 * {@code FENCED-OK} of the election children, {@code INC} or {@code HOLDING} of the lock children
 * @param args the other words
 * @param receivedNanos {@code System.nanoTime()} of the test JVM when the line was read
 */
public record ChildLine(String child, String kind, List<String> args, long receivedNanos) {

	private static final Pattern KIND = Pattern.compile("[A-Z][A-Z-]*");

	/**
	 * Parse a line of a child's stdout.
	 * @param child the child's name
	 * @param text the line
	 * @param receivedNanos when it was read
	 * @return the line, or {@code null} when it is a log line
	 */
	public static ChildLine parse(String child, String text, long receivedNanos) {
		String[] words = text.trim().split(" ");
		// machine-readable lines start with an upper-case word; log lines start with a timestamp
		if (!KIND.matcher(words[0]).matches()) {
			return null;
		}
		return new ChildLine(child, words[0], List.copyOf(Arrays.asList(words).subList(1, words.length)), receivedNanos);
	}

	/**
	 * The fencing token of a {@code GRANTED}, {@code REVOKED} or {@code FENCED-*} line, or the
	 * leader's token of a {@code LEADER} line.
	 * @return the token
	 */
	public long token() {
		return Long.parseLong(this.kind.equals("LEADER") ? this.args.get(1) : this.args.get(0));
	}

	/**
	 * When the event happened, on the child's clock ({@code System.nanoTime()} is one monotonic clock
	 * for all processes of a Linux host): printed by {@code GRANTED} and {@code REVOKED}, else the
	 * instant the line was read.
	 * @return the instant
	 */
	public long nanos() {
		return switch (this.kind) {
			case "GRANTED" -> Long.parseLong(this.args.get(1));
			case "REVOKED" -> Long.parseLong(this.args.get(2));
			default -> this.receivedNanos;
		};
	}

	/**
	 * The sequence number of a {@code FENCED-*} line.
	 * @return the sequence number
	 */
	public long seq() {
		return Long.parseLong(this.args.get(1));
	}

	/**
	 * The etcd revision of a {@code FENCED-OK} line.
	 * @return the revision
	 */
	public long revision() {
		return Long.parseLong(this.args.get(2));
	}

	/**
	 * The instance id named by a {@code LEADER} line.
	 * @return the instance id, {@code -} for nobody
	 */
	public String leader() {
		return this.args.get(0);
	}

	@Override
	public String toString() {
		return this.child + ": " + this.kind + " " + String.join(" ", this.args);
	}

}
