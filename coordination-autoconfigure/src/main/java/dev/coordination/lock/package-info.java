/**
 * Distributed locks on the coordination session: {@code @DistributedLocked}, the lock registry and
 * fencing tokens.
 */
@NullMarked
package dev.coordination.lock;

import org.jspecify.annotations.NullMarked;
