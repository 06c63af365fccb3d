package dev.coordination.sample;

import java.util.Locale;

import dev.coordination.config.FeatureFlags;
import dev.coordination.config.internal.EtcdConfigState;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /greeting}: a {@code @ConfigurationProperties} bean and a feature flag, both from etcd
 * and changed live. Try {@code etcdctl put /config/sample-app/sample/greeting/message 'Hi there'} and
 * {@code etcdctl put /flags/shout true}.
 */
@RestController
class GreetingController {

	static final String SHOUT = "shout";

	private final GreetingProperties greeting;

	private final FeatureFlags flags;

	private final ObjectProvider<EtcdConfigState> config;

	GreetingController(GreetingProperties greeting, FeatureFlags flags,
			ObjectProvider<EtcdConfigState> config) {
		this.greeting = greeting;
		this.flags = flags;
		this.config = config;
	}

	@GetMapping(path = "/greeting", produces = "text/plain")
	String greeting() {
		boolean shout = this.flags.isEnabled(SHOUT);
		String message = shout ? this.greeting.getMessage().toUpperCase(Locale.ROOT) : this.greeting.getMessage();
		EtcdConfigState state = this.config.getIfAvailable();
		String from = (state != null && state.isLoaded()) ? "etcd revision " + state.revision() : "defaults, no etcd yet";
		return message + " (timeout " + this.greeting.getTimeout().toMillis() + " ms, feature flag " + SHOUT + " "
				+ (shout ? "on" : "off") + ", configuration from " + from + ")\n";
	}

}
