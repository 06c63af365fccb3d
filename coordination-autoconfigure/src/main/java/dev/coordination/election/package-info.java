/**
 * Leader election on the coordination session: {@code @LeaderOnly}, {@code LeaderElection},
 * leadership events and fencing tokens.
 */
@NullMarked
package dev.coordination.election;

import org.jspecify.annotations.NullMarked;
