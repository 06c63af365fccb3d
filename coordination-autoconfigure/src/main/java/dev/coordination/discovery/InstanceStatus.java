package dev.coordination.discovery;

/**
 * The status an instance publishes with its registration.
 */
public enum InstanceStatus {

	/**
	 * Serving: lookups return it by default.
	 */
	UP,

	/**
	 * Not serving, for example because its health is DOWN.
	 */
	DOWN,

	/**
	 * Taken out of service on purpose, for example by an operator.
	 */
	OUT_OF_SERVICE

}
