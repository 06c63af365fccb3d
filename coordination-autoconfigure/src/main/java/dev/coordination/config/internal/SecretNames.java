package dev.coordination.config.internal;

import java.util.List;
import java.util.Locale;

/**
 * Which property names hold secrets, so that their values stay out of messages and logs: Spring
 * Boot 2's sanitizing rule (names ending with password, secret, key or token, anything with
 * credentials) and URLs, which may hold a password.
 */
final class SecretNames {

	static final String MASK = "******";

	private static final List<String> ENDINGS = List.of("password", "passwd", "passphrase", "secret", "key", "token",
			"url", "uri", "urls", "uris");

	private static final List<String> WORDS = List.of("credential", "private");

	private SecretNames() {
	}

	/**
	 * Whether a property's value must stay out of messages.
	 * @param property the property name, in any form ({@code db.password}, {@code servers[0].url})
	 * @return whether the name looks like that of a secret
	 */
	static boolean isSecret(String property) {
		String name = property.toLowerCase(Locale.ROOT).replaceAll("\\[[^\\]]*\\]", "");
		return ENDINGS.stream().anyMatch(name::endsWith) || WORDS.stream().anyMatch(name::contains);
	}

}
