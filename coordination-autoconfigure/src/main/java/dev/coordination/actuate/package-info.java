/**
 * The {@code coordination} actuator endpoint.
 */
@NullMarked
package dev.coordination.actuate;

import org.jspecify.annotations.NullMarked;
