package dev.coordination.session;

/**
 * Hears when this instance's session lease is lost and when a new one replaces it. Beans of this
 * type are registered automatically; {@link CoordinationSession#addListener} adds others.
 * <p>
 * Called on the starter's event thread, {@code coordination-events}, one event at a time and in
 * the order things happened, never on the thread that keeps the lease alive: a slow or failing
 * listener delays other listeners, not the session. The same events are published as Spring
 * application events ({@code @EventListener} methods run on that thread too).
 */
public interface SessionListener {

	/**
	 * The session lost its lease: everything held on it (leadership, locks, permits, the
	 * registration) is gone or about to be. The session already answers not valid.
	 * @param event the lost lease and why
	 */
	default void lost(SessionLostEvent event) {
	}

	/**
	 * A new lease replaced a lost one: the capabilities campaign and register again on it.
	 * @param event the new lease
	 */
	default void renewed(SessionRenewedEvent event) {
	}

}
