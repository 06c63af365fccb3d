/**
 * Bridges to Spring Integration: its leader initiators, driven by the starter's elections. Internals
 * of the starter: not API. Types here may change or disappear in any release.
 */
@NullMarked
package dev.coordination.integration.internal;

import org.jspecify.annotations.NullMarked;
