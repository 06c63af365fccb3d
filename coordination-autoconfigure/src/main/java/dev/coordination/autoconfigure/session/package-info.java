/**
 * Auto-configuration of the coordination session, its health indicator and its metrics.
 */
@NullMarked
package dev.coordination.autoconfigure.session;

import org.jspecify.annotations.NullMarked;
