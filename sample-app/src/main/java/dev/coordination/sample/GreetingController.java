package dev.coordination.sample;

import java.util.Locale;

import dev.coordination.config.FeatureFlags;
import dev.coordination.config.ConfigChangedEvent;
import dev.coordination.config.ConfigListener;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /greeting}: a {@code @ConfigurationProperties} bean and a feature flag, both from etcd
 * and changed live. Try {@code etcdctl put /config/sample-app/sample/greeting/message 'Hi there'} and
 * {@code etcdctl put /flags/shout true}.
 */
@RestController
class GreetingController implements ConfigListener {

	static final String SHOUT = "shout";

	private final GreetingProperties greeting;

	private final FeatureFlags flags;

	// the revision of the last change from etcd: configuration listeners hear every change
	private volatile long revision;

	GreetingController(GreetingProperties greeting, FeatureFlags flags) {
		this.greeting = greeting;
		this.flags = flags;
	}

	@Override
	public void changed(ConfigChangedEvent event) {
		this.revision = event.getRevision();
	}

	@GetMapping(path = "/greeting", produces = "text/plain")
	String greeting() {
		boolean shout = this.flags.isEnabled(SHOUT);
		String message = shout ? this.greeting.getMessage().toUpperCase(Locale.ROOT) : this.greeting.getMessage();
		long revision = this.revision;
		String changed = (revision > 0) ? ", last changed in etcd at revision " + revision : "";
		return message + " (timeout " + this.greeting.getTimeout().toMillis() + " ms, feature flag " + SHOUT + " "
				+ (shout ? "on" : "off") + changed + ")\n";
	}

}
