/**
 * Auto-configuration of a ShedLock {@code LockProvider} over the starter's distributed locks.
 */
@NullMarked
package dev.coordination.autoconfigure.shedlock;

import org.jspecify.annotations.NullMarked;
