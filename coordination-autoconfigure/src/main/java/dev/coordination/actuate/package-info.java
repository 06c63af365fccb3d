/**
 * The {@code coordination} actuator endpoint.
 */
package dev.coordination.actuate;
