/**
 * Auto-configuration of the {@code coordination} actuator endpoint and health group.
 */
@NullMarked
package dev.coordination.autoconfigure.actuate;

import org.jspecify.annotations.NullMarked;
