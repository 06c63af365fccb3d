/**
 * Bridges to Spring Integration: its lock registry over the starter's locks, and its leader
 * initiators driven by the starter's elections. Internals of the starter: not API. Types here may
 * change or disappear in any release; program against the public types the README lists.
 */
@NullMarked
package dev.coordination.integration.internal;

import org.jspecify.annotations.NullMarked;
