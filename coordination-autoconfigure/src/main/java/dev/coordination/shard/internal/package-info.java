/**
 * Internal implementation of sharded workloads; not part of the public API.
 */
@NullMarked
package dev.coordination.shard.internal;

import org.jspecify.annotations.NullMarked;
