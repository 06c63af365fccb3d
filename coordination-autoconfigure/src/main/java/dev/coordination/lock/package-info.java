/**
 * Distributed locks on the coordination session: {@code @DistributedLocked}, the lock registry and
 * fencing tokens.
 */
package dev.coordination.lock;
