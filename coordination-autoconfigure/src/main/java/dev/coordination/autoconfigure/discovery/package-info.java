/**
 * Auto-configuration of service discovery.
 */
@NullMarked
package dev.coordination.autoconfigure.discovery;

import org.jspecify.annotations.NullMarked;
