/**
 * Auto-configuration of sharded workloads.
 */
@NullMarked
package dev.coordination.autoconfigure.shard;

import org.jspecify.annotations.NullMarked;
