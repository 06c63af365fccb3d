package dev.coordination.config;

import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationEvent;

/**
 * An event that a change in etcd reached the {@code Environment}: the properties that changed, with
 * their old and new values as etcd's contexts together give them ({@code null} when absent).
 * <p>
 * Published on the starter's event thread, {@code coordination-events}, once the
 * {@code @ConfigurationProperties} beans the change touches were rebound and, with Spring Cloud's
 * refresh, the refresh scope was refreshed; one change at a time, in the order of etcd's revisions.
 * A change that is hidden by a context of higher precedence, or that was not applied because it did
 * not bind, is not in it. Immutable.
 */
public class ConfigChangedEvent extends ApplicationEvent {

	private final long revision;

	private final Map<String, Change> changes;

	/**
	 * Create an event.
	 * @param source what published it
	 * @param revision the etcd revision now in the {@code Environment}
	 * @param changes the changed properties
	 */
	public ConfigChangedEvent(Object source, long revision, Map<String, Change> changes) {
		super(source);
		this.revision = revision;
		this.changes = Map.copyOf(changes);
	}

	/**
	 * The etcd revision now in the {@code Environment}.
	 * @return the revision
	 */
	public long getRevision() {
		return this.revision;
	}

	/**
	 * The changed properties, by name (for example {@code database.host}).
	 * @return the changes
	 */
	public Map<String, Change> getChanges() {
		return this.changes;
	}

	/**
	 * The names of the changed properties.
	 * @return the names
	 */
	public Set<String> getKeys() {
		return this.changes.keySet();
	}

	@Override
	public String toString() {
		return "ConfigChangedEvent[revision=" + this.revision + ", changes=" + this.changes + "]";
	}

	/**
	 * One property's change.
	 * @param oldValue the value before, {@code null} when it was not set in etcd
	 * @param newValue the value now, {@code null} when it was deleted
	 */
	public record Change(@Nullable String oldValue, @Nullable String newValue) {

	}

}
