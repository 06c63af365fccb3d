package dev.coordination.sample;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The greeting of {@code GET /greeting}, from etcd and changed live: {@code etcdctl put
 * /config/sample-app/sample/greeting/message 'Hi there'}.
 */
@ConfigurationProperties("sample.greeting")
public class GreetingProperties {

	/**
	 * What to say.
	 */
	private String message = "Hello";

	/**
	 * How long a greeting may take.
	 */
	private Duration timeout = Duration.ofSeconds(2);

	public String getMessage() {
		return this.message;
	}

	public void setMessage(String message) {
		this.message = message;
	}

	public Duration getTimeout() {
		return this.timeout;
	}

	public void setTimeout(Duration timeout) {
		this.timeout = timeout;
	}

}
