package dev.coordination.autoconfigure.etcd;

import io.etcd.jetcd.ClientBuilder;

/**
 * Callback to customize the jetcd {@link ClientBuilder} after the starter applied the
 * {@code coordination.etcd.*} properties and before the {@code Client} is built.
 * <p>
 * Customizer beans are applied in {@link org.springframework.core.annotation.Order @Order}.
 */
@FunctionalInterface
public interface EtcdClientBuilderCustomizer {

	/**
	 * Customize the builder.
	 * @param builder the builder to customize
	 */
	void customize(ClientBuilder builder);

}
