/**
 * The ShedLock provider and {@code @DistributedLocked(holdAtLeast)} against a real etcd.
 */
@NullMarked
package dev.coordination.it.shedlock;

import org.jspecify.annotations.NullMarked;
