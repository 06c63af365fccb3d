/**
 * Auto-configuration of distributed locks.
 */
@NullMarked
package dev.coordination.autoconfigure.lock;

import org.jspecify.annotations.NullMarked;
