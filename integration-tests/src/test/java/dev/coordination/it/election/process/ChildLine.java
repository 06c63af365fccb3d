package dev.coordination.it.election.process;

import java.util.Arrays;
import java.util.List;

/**
 * One machine-readable line a child printed, such as {@code GRANTED 42 123456789}.
 *
 * @param child the name of the child that printed it
 * @param kind the first word: {@code READY}, {@code GRANTED}, {@code REVOKED}, {@code LEADER},
 * {@code FENCED-OK}, {@code FENCED-REJECTED} or {@code FENCED-FAILED}
 * @param args the other words
 * @param receivedNanos {@code System.nanoTime()} of the test JVM when the line was read
 */
record ChildLine(String child, String kind, List<String> args, long receivedNanos) {

	static final List<String> KINDS = List.of("READY", "GRANTED", "REVOKED", "LEADER", "FENCED-OK", "FENCED-REJECTED",
			"FENCED-FAILED");

	/**
	 * Parse a line of a child's stdout.
	 * @param child the child's name
	 * @param text the line
	 * @param receivedNanos when it was read
	 * @return the line, or {@code null} when it is a log line
	 */
	static ChildLine parse(String child, String text, long receivedNanos) {
		String[] words = text.trim().split(" ");
		if (!KINDS.contains(words[0])) {
			return null;
		}
		return new ChildLine(child, words[0], List.copyOf(Arrays.asList(words).subList(1, words.length)), receivedNanos);
	}

	/**
	 * The fencing token of a {@code GRANTED}, {@code REVOKED} or {@code FENCED-*} line, or the
	 * leader's token of a {@code LEADER} line.
	 * @return the token
	 */
	long token() {
		return Long.parseLong(this.kind.equals("LEADER") ? this.args.get(1) : this.args.get(0));
	}

	/**
	 * When the event happened, on the child's clock ({@code System.nanoTime()} is one monotonic clock
	 * for all processes of a Linux host): printed by {@code GRANTED} and {@code REVOKED}, else the
	 * instant the line was read.
	 * @return the instant
	 */
	long nanos() {
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
	long seq() {
		return Long.parseLong(this.args.get(1));
	}

	/**
	 * The etcd revision of a {@code FENCED-OK} line.
	 * @return the revision
	 */
	long revision() {
		return Long.parseLong(this.args.get(2));
	}

	/**
	 * The instance id named by a {@code LEADER} line.
	 * @return the instance id, {@code -} for nobody
	 */
	String leader() {
		return this.args.get(0);
	}

	@Override
	public String toString() {
		return this.child + ": " + this.kind + " " + String.join(" ", this.args);
	}

}
