package dev.coordination.etcd;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * Writes to etcd that apply only while a hold still exists there: a lock, a read or write lock, a
 * semaphore permit, or a term of leadership. The hold's key is compared with its fencing token in
 * the same transaction as the writes, so a holder that lost its hold (its lease expired while it
 * was paused, say) has its writes rejected by etcd itself, even before it learns of the loss.
 * <p>
 * Immutable: every method returns a new write. Conditions of the caller's own
 * ({@link #ifValue}, {@link #ifAbsent}, {@link #ifModRevision}) join the fence; all of them must
 * hold for anything to be written.
 *
 * <pre class="code">
 * WriteResult result = lock.fencedWrite(FencedWrite.put("/orders/42/state", "shipped")
 *     .andDelete("/orders/42/pending")
 *     .ifValue("/orders/42/state", "packed"));
 * </pre>
 * Keys and values are UTF-8 text, relative to the client's namespace; written keys are not
 * attached to any lease.
 */
public final class FencedWrite {

	private final List<Operation> operations;

	private final List<Condition> conditions;

	private FencedWrite(List<Operation> operations, List<Condition> conditions) {
		this.operations = List.copyOf(operations);
		this.conditions = List.copyOf(conditions);
	}

	/**
	 * A write of {@code value} at {@code key}.
	 * @param key the key
	 * @param value the value
	 * @return the write
	 */
	public static FencedWrite put(String key, String value) {
		return new FencedWrite(List.of(), List.of()).andPut(key, value);
	}

	/**
	 * A delete of {@code key}.
	 * @param key the key
	 * @return the write
	 */
	public static FencedWrite delete(String key) {
		return new FencedWrite(List.of(), List.of()).andDelete(key);
	}

	/**
	 * This write, then a write of {@code value} at {@code key}.
	 * @param key the key
	 * @param value the value
	 * @return the new write
	 */
	public FencedWrite andPut(String key, String value) {
		Assert.notNull(value, "value must not be null");
		return withOperation(new Operation(key(key), value));
	}

	/**
	 * This write, then a delete of {@code key}.
	 * @param key the key
	 * @return the new write
	 */
	public FencedWrite andDelete(String key) {
		return withOperation(new Operation(key(key), null));
	}

	/**
	 * Apply only while {@code key} holds {@code value}.
	 * @param key the key
	 * @param value the value it must hold
	 * @return the new write
	 */
	public FencedWrite ifValue(String key, String value) {
		Assert.notNull(value, "value must not be null");
		return withCondition(new Condition(key(key), Condition.Kind.VALUE, value, 0));
	}

	/**
	 * Apply only while {@code key} does not exist.
	 * @param key the key
	 * @return the new write
	 */
	public FencedWrite ifAbsent(String key) {
		return withCondition(new Condition(key(key), Condition.Kind.ABSENT, null, 0));
	}

	/**
	 * Apply only while {@code key} was last modified at {@code modRevision}: a compare-and-swap
	 * against a value read before. {@code 0} means the key does not exist.
	 * @param key the key
	 * @param modRevision the revision of its last modification
	 * @return the new write
	 */
	public FencedWrite ifModRevision(String key, long modRevision) {
		Assert.isTrue(modRevision >= 0, "modRevision must not be negative");
		return withCondition(new Condition(key(key), Condition.Kind.MOD_REVISION, null, modRevision));
	}

	List<Operation> operations() {
		return this.operations;
	}

	List<Condition> conditions() {
		return this.conditions;
	}

	private FencedWrite withOperation(Operation operation) {
		List<Operation> operations = new ArrayList<>(this.operations);
		operations.add(operation);
		return new FencedWrite(operations, this.conditions);
	}

	private FencedWrite withCondition(Condition condition) {
		List<Condition> conditions = new ArrayList<>(this.conditions);
		conditions.add(condition);
		return new FencedWrite(this.operations, conditions);
	}

	private static String key(String key) {
		Assert.hasLength(key, "key must not be null or empty");
		return key;
	}

	@Override
	public String toString() {
		return "FencedWrite" + this.operations + ((this.conditions.isEmpty()) ? "" : " if " + this.conditions);
	}

	/**
	 * A put ({@code value} set) or a delete.
	 */
	record Operation(String key, @Nullable String value) {

		@Override
		public String toString() {
			return (this.value != null) ? "put " + this.key : "delete " + this.key;
		}

	}

	/**
	 * A condition of the caller's.
	 */
	record Condition(String key, Kind kind, @Nullable String value, long modRevision) {

		enum Kind {

			VALUE, ABSENT, MOD_REVISION

		}

		@Override
		public String toString() {
			return switch (this.kind) {
				case VALUE -> this.key + " = '" + this.value + "'";
				case ABSENT -> this.key + " absent";
				case MOD_REVISION -> this.key + " modified at " + this.modRevision;
			};
		}

	}

}
