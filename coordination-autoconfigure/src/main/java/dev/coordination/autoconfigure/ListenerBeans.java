package dev.coordination.autoconfigure;

import java.util.function.BiConsumer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Registers the application's listener beans of a capability with its registry once every bean
 * exists, in {@code @Order}: a listener may depend on beans that depend on the registry it listens
 * to, so neither can take the other in its constructor. Nothing happens without a registry.
 */
public final class ListenerBeans {

	private ListenerBeans() {
	}

	/**
	 * The callback that registers them.
	 * @param <R> the registry type
	 * @param <L> the listener type
	 * @param registry the registry, if there is one
	 * @param listeners the listener beans
	 * @param add how to register one listener
	 * @return a callback to define as a static bean
	 */
	public static <R, L> SmartInitializingSingleton register(ObjectProvider<R> registry, ObjectProvider<L> listeners,
			BiConsumer<R, L> add) {
		return () -> registry.ifAvailable((target) -> listeners.orderedStream().forEach((listener) -> add.accept(target, listener)));
	}

}
