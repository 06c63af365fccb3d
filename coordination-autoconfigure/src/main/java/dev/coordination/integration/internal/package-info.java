/**
 * Internals of the starter: not API. Types here may change or disappear in any release; program
 * against the public types the README lists.
 */
@NullMarked
package dev.coordination.integration.internal;

import org.jspecify.annotations.NullMarked;
