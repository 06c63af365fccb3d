/**
 * Auto-configuration of the {@code coordination} actuator endpoint and health group.
 */
package dev.coordination.autoconfigure.actuate;
