/**
 * Auto-configuration of leader election: the elections, {@code @LeaderOnly}, events, health and
 * metrics.
 */
@NullMarked
package dev.coordination.autoconfigure.election;

import org.jspecify.annotations.NullMarked;
