/**
 * Auto-configuration of leader election: the elections, {@code @LeaderOnly}, events, health and
 * metrics.
 */
package dev.coordination.autoconfigure.election;
