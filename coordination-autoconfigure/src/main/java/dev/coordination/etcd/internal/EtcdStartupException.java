package dev.coordination.etcd.internal;

import org.jspecify.annotations.Nullable;

/**
 * Start-up failed because etcd could not be used: refused the connection, did not answer in time,
 * refused the credentials, or failed the TLS handshake. Carries the description and the action
 * that the starter's failure analyzer shows in Spring Boot's "APPLICATION FAILED TO START" report;
 * the message is both.
 */
public class EtcdStartupException extends RuntimeException {

	private final Reason reason;

	private final String description;

	private final String action;

	/**
	 * Create an instance.
	 * @param reason why
	 * @param description what happened, naming the endpoints
	 * @param action what to change, naming the properties
	 * @param cause what the client reported, with gRPC's detail
	 */
	public EtcdStartupException(Reason reason, String description, String action, @Nullable Throwable cause) {
		super(description + " " + action, cause);
		this.reason = reason;
		this.description = description;
		this.action = action;
	}

	/**
	 * Why start-up failed.
	 * @return the reason
	 */
	public Reason getReason() {
		return this.reason;
	}

	/**
	 * What happened, naming the endpoints.
	 * @return the description
	 */
	public String getDescription() {
		return this.description;
	}

	/**
	 * What to change, naming the properties.
	 * @return the action
	 */
	public String getAction() {
		return this.action;
	}

	/**
	 * Why start-up failed.
	 */
	public enum Reason {

		/** etcd refused the connection: nothing listens at the endpoint. */
		REFUSED,

		/** etcd did not answer in time. */
		NO_ANSWER,

		/** etcd refused the credentials, or the user may not do what was asked. */
		CREDENTIALS,

		/** The TLS handshake failed, or one side speaks TLS and the other does not. */
		TLS,

		/** The endpoint's host name is not known. */
		UNKNOWN_HOST,

		/** etcd answered with an error. */
		OTHER

	}

}
