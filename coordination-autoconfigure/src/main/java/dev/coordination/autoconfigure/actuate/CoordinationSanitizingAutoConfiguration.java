package dev.coordination.autoconfigure.actuate;

import java.util.Locale;

import io.etcd.jetcd.Client;

import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} that
 * keeps the etcd password and the private keys and passwords of SSL bundles masked in
 * {@code /actuator/env} and {@code /actuator/configprops}, even with
 * {@code management.endpoint.env.show-values=always}: Boot masks by key name only when values are
 * hidden anyway.
 */
@AutoConfiguration
@ConditionalOnClass({ SanitizingFunction.class, Client.class })
@ConditionalOnBooleanProperty(name = "coordination.enabled", matchIfMissing = true)
public final class CoordinationSanitizingAutoConfiguration {

	@Bean
	SanitizingFunction coordinationSecretsSanitizingFunction() {
		return SanitizingFunction.sanitizeValue().ifKeyMatches(CoordinationSanitizingAutoConfiguration::isSecret);
	}

	static boolean isSecret(String key) {
		// also as environment variables name them: COORDINATION_ETCD_PASSWORD
		String lower = key.toLowerCase(Locale.ROOT).replace('_', '.');
		return lower.endsWith("coordination.etcd.password") || (lower.contains("ssl.bundle.")
				&& (lower.contains("private-key") || lower.contains("private.key") || lower.contains("password")
						|| lower.contains("privatekey")));
	}

}
