/**
 * Leader election on the coordination session: {@code @LeaderOnly}, {@code LeaderElection},
 * leadership events and fencing tokens.
 */
package dev.coordination.election;
