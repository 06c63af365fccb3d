/**
 * Auto-configuration of the bridges to Spring Integration: its lock registry and its leader
 * initiators over the starter's locks and elections.
 */
@NullMarked
package dev.coordination.autoconfigure.integration;

import org.jspecify.annotations.NullMarked;
